// apus bench: placeholder until the load generator lands.

import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark a running broker (W1-W4).")
    func run() async throws {}
}

// QueueAllocation: the clients' rebalance algorithm AllocateMessageQueueAveragely (spec §8.5), to predict what a
// real client does with a consumer list.
import ApusMessage

public enum QueueAllocation {
    /// The queues `me` takes: queues and consumers are sorted byte-wise (as the client does), then the queues are cut
    /// into consecutive blocks, the first `n mod c` consumers getting one extra. Nothing if `me` is not listed.
    public static func averagely(queues: [MessageQueue], consumers: [String], me: String) -> [MessageQueue] {
        let mqAll = queues.sorted()
        let cidAll = consumers.sorted(by: byteOrder)
        guard let i = cidAll.firstIndex(of: me), !mqAll.isEmpty else { return [] }
        let n = mqAll.count, c = cidAll.count, mod = n % c
        let size = n <= c ? 1 : (i < mod ? n / c + 1 : n / c)
        let start = i < mod ? i * size : i * size + mod
        let count = min(size, n - start)
        return count > 0 ? Array(mqAll[start..<start + count]) : []
    }
}

// ExtFields: a frame's ext fields as an ordered list of key/value pairs. A dozen short keys are found faster by a
// linear scan than by hashing, and decoding appends without building a hash table.

public struct ExtFields: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)

    /// A named struct rather than a tuple: arrays of tuples go through generic runtime metadata on every copy/destroy.
    struct Field {
        var key: String
        var value: String
    }

    /// In arrival order; header decoders scan it once instead of looking each key up.
    private(set) var pairs: [Field]

    public init() {
        pairs = []
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { Field(key: $0.0, value: $0.1) }
    }

    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Field(key: $0.key, value: $0.value) }
    }

    public init(minimumCapacity: Int) {
        pairs = []
        pairs.reserveCapacity(minimumCapacity)
    }

    /// The value of `key`; when a key was received twice the later one wins (as a JSON object read into a map).
    public subscript(key: String) -> String? {
        get {
            var i = pairs.count - 1
            while i >= 0 {
                if pairs[i].key == key { return pairs[i].value }
                i -= 1
            }
            return nil
        }
        set {
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append(Field(key: key, value: newValue))
            }
        }
    }

    /// Appends without looking for an earlier value of the key (decoders; lookups take the last one).
    public mutating func append(_ key: String, _ value: String) {
        pairs.append(Field(key: key, value: value))
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }
    public var keys: [String] { pairs.map(\.key) }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Field]>

        public mutating func next() -> Element? {
            base.next().map { (key: $0.key, value: $0.value) }
        }
    }

    public func makeIterator() -> Iterator { Iterator(base: pairs.makeIterator()) }

    /// Same keys with the same (last) values, in any order.
    public static func == (lhs: ExtFields, rhs: ExtFields) -> Bool {
        let left = lhs.asDictionary, right = rhs.asDictionary
        return left == right
    }

    public var asDictionary: [String: String] {
        Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    public var description: String { asDictionary.description }
}

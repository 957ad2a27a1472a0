// RecentList: the few values a table found lately, replaced in turn — a memo in front of a hashed table whose keys
// repeat (a consumer's pulls, a producer's sends), where comparing a key costs a fraction of hashing it.

/// At most `capacity` elements, the oldest replaced first once full. Read an element's fields in place
/// (`recent[i].key`): inlinable, so that it is specialized where it is used; called generically across modules,
/// reading an element copied it whole through its type's value witnesses (a retain and a release of each string).
@frozen
public struct RecentList<Element>: RandomAccessCollection {
    @usableFromInline var elements: [Element] = []
    public let capacity: Int
    @usableFromInline var next = 0

    @inlinable
    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { elements.count }

    @inlinable
    public subscript(position: Int) -> Element {
        _read { yield elements[position] }
    }

    @inlinable
    public mutating func remember(_ element: Element) {
        if elements.count < capacity {
            elements.append(element)
        } else {
            elements[next] = element
            next = (next + 1) % capacity
        }
    }

    @inlinable
    public mutating func removeAll() {
        elements.removeAll(keepingCapacity: true)
        next = 0
    }

    @inlinable
    public mutating func removeAll(where shouldBeRemoved: (Element) -> Bool) {
        elements.removeAll(where: shouldBeRemoved)
        next = 0
    }
}

extension RecentList: Sendable where Element: Sendable {}

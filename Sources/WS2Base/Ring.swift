// A FIFO ring buffer that grows: the queue behind APCs, window messages and
// a socket's pending overlapped operations.

/// First in, first out. Appending allocates only when the ring is full (the
/// storage then doubles); popping never allocates.
public struct Ring<Element> {
    @usableFromInline var storage: [Element?] = []
    @usableFromInline var head = 0
    @usableFromInline var _count = 0
    @inlinable public var count: Int { _count }

    public init() {}

    /// Makes the type metadata a ring of `Element` needs (its storage array)
    /// now: Swift makes metadata on first use under a once-lock that is not
    /// fork-safe (see ProviderKit's Globals.swift), so a library warms up
    /// its ring types before it starts a thread.
    public static func prepare(with sample: Element) {
        var ring = Ring<Element>()
        ring.append(sample)
        _ = ring.popFirst()
    }

    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable
    public mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        var tail = head + count
        if tail >= storage.count { tail -= storage.count }
        storage[tail] = element
        _count += 1
    }

    /// The oldest element, which may be updated in place (an operation's progress).
    @inlinable
    public var first: Element? {
        get { count > 0 ? storage[head] : nil }
        set {
            precondition(count > 0 && newValue != nil, "Ring.first set on an empty ring")
            storage[head] = newValue
        }
    }

    @inlinable
    public mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count { head = 0 }
        _count -= 1
        return element
    }

    /// Empties the ring and gives its storage back.
    public mutating func removeAll() {
        storage = []
        head = 0
        _count = 0
    }

    @usableFromInline
    mutating func grow() {
        let capacity = Swift.max(8, storage.count * 2)
        var bigger = [Element?](repeating: nil, count: capacity)
        var index = head
        for i in 0..<count {
            bigger[i] = storage[index]
            index += 1
            if index == storage.count { index = 0 }
        }
        storage = bigger
        head = 0
    }
}

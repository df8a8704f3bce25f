// A FIFO ring buffer that grows: the queue behind APCs and window messages.

/// First in, first out. Appending allocates only when the ring is full (the
/// storage then doubles); popping never allocates.
struct Ring<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        var tail = head + count
        if tail >= storage.count { tail -= storage.count }
        storage[tail] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count { head = 0 }
        count -= 1
        return element
    }

    /// Empties the ring and gives its storage back.
    mutating func removeAll() {
        storage = []
        head = 0
        count = 0
    }

    private mutating func grow() {
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

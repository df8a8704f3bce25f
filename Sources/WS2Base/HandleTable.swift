// SOCKET handles that never alias (RULINGS §4).
import Glibc
import Synchronization
import CWS2SPI

/// The generations (the high 16 bits of a handle) a table hands out. Tables
/// with disjoint spaces never produce the same handle, and a lookup in one
/// never finds the other's handles: the generation stored in a slot is always
/// inside its table's range, so a foreign handle fails the generation compare
/// the lookup makes anyway (no extra check on the hot path).
public struct HandleSpace: Sendable, Equatable {
    public let generations: ClosedRange<UInt16>
    /// A space of these generations (a provider's: the range the Winsock DLL
    /// reserved for it, RULINGS §13).
    public init(generations: ClosedRange<UInt16>) { self.generations = generations }
    /// Bit 31 clear: provider SOCKETs (each library reserves its own part of
    /// this, see WPUXxxReserveSocketRange) and the host's tagged handles.
    public static let provider = HandleSpace(generations: 0x0001...0x7FFF)
    /// The Winsock DLL's socket handles (WPUXxxCreateSocketHandle): bit 31 set.
    public static let upcall = HandleSpace(generations: 0x8000...0xFFFF)

    /// True when `handle` is in this space (its generation is in range).
    @inlinable public func contains(_ handle: UInt32) -> Bool {
        generations.contains(UInt16(truncatingIfNeeded: handle >> 16))
    }
}

/// Maps 32-bit `SOCKET` values to provider objects.
///
/// A handle is `generation << 16 | (slot + 1)`, the generation taken from the
/// table's `HandleSpace`. A freed slot goes to the back of a FIFO free list,
/// so it is reused only after every other free slot, and then with the next
/// generation: a closed handle answers "not a socket" until about 2 billion
/// handles later (65534 slots x 32767 generations). A slot whose generation
/// would leave the space is retired. Handles are never 0 and never
/// `INVALID_SOCKET` (0xFFFFFFFF).
///
/// Lookups lock one of 64 stripes for the few instructions that read the slot
/// and retain the object, so threads using different sockets do not contend.
public final class HandleTable<Object: AnyObject>: @unchecked Sendable {
    /// Most slots a table can have: the low 16 bits hold slot + 1, and
    /// 0xFFFF is left out so that no handle equals INVALID_SOCKET.
    public static var maximumCapacity: Int { 65534 }

    // Lookups are @inlinable so that they specialise in the provider's
    // module (an unspecialised generic lookup costs a metadata call).
    @usableFromInline struct Slot {
        @usableFromInline var generation: UInt16
        @usableFromInline var object: Object?
        @usableFromInline init(generation: UInt16, object: Object?) { self.generation = generation; self.object = object }
    }
    /// Never-used slots in order, then freed ones in the order they were
    /// freed: the same order as one FIFO that starts with every slot, but
    /// made without touching all of them (start-up cost, RULINGS §13: the
    /// host and every provider each make their tables).
    private struct FreeList {
        /// Freed slots (zero-filled memory, so its pages come as needed).
        let ring: UnsafeMutablePointer<UInt16>
        let capacity: Int
        var head = 0
        var freed = 0
        /// Slots never handed out: fresh..<capacity.
        var fresh = 0
        var count: Int { capacity - fresh + freed }
        mutating func pop() -> Int? {
            if fresh < capacity {
                fresh += 1
                return fresh - 1
            }
            guard freed > 0 else { return nil }
            let index = Int(ring[head])
            head = (head + 1) % capacity
            freed -= 1
            return index
        }
        mutating func push(_ index: Int) {
            ring[(head + freed) % capacity] = UInt16(index)
            freed += 1
        }
    }

    public let capacity: Int
    /// The generations this table's handles carry.
    public let space: HandleSpace
    /// Callers between beginUnretainedReads and endUnretainedReads. While
    /// any are, removed objects wait in `retired` instead of being released,
    /// so an unretained reference taken by such a caller stays valid.
    @usableFromInline let unretainedReaders = Atomic<Int>(0)
    /// Retained objects (as opaque addresses) waiting for the spans to end.
    private let retired = Mutex<[UInt]>([])
    @usableFromInline let slots: UnsafeMutablePointer<Slot>
    /// 64 stripe locks (ws2spi_lock words), one per cache line: a lookup
    /// takes one, one atomic each way, no thread-local lookup, no retain.
    @usableFromInline let locks: UnsafeMutablePointer<UInt32>
    @usableFromInline static var lockStride: Int { 16 }
    private let free: Mutex<FreeList>

    /// The slots start as zero-filled memory from calloc: generation 0 (no
    /// handle has it: `insert` gives a fresh slot the space's first
    /// generation) and no object, which is a valid `Slot`. The kernel maps
    /// the pages as they are first used, so a table costs nothing per slot
    /// until it is used.
    public init(capacity requested: Int = HandleTable.maximumCapacity, space: HandleSpace = .provider) {
        let cap = max(1, min(requested, HandleTable.maximumCapacity))
        capacity = cap
        self.space = space
        slots = calloc(cap, MemoryLayout<Slot>.stride)!.bindMemory(to: Slot.self, capacity: cap)
        locks = calloc(64 * HandleTable.lockStride, MemoryLayout<UInt32>.stride)!.bindMemory(to: UInt32.self, capacity: 64 * HandleTable.lockStride)
        let ring = calloc(cap, MemoryLayout<UInt16>.stride)!.bindMemory(to: UInt16.self, capacity: cap)
        free = Mutex(FreeList(ring: ring, capacity: cap))
    }

    deinit {
        slots.deinitialize(count: capacity)
        Glibc.free(slots)
        Glibc.free(locks)
        free.withLock { Glibc.free($0.ring) }
    }

    /// Stores `object` and returns its new handle, or nil when every slot is taken.
    public func insert(_ object: Object) -> UInt32? {
        guard let index = free.withLock({ $0.pop() }) else { return nil }
        return withStripe(index) {
            if slots[index].generation == 0 { slots[index].generation = space.generations.lowerBound }
            slots[index].object = object
            return UInt32(slots[index].generation) << 16 | UInt32(index + 1)
        }
    }

    @inlinable @inline(__always) func split(_ handle: UInt32) -> (index: Int, generation: UInt16)? {
        let low = Int(handle & 0xFFFF)
        guard low >= 1 && low <= capacity else { return nil }
        return (low - 1, UInt16(truncatingIfNeeded: handle >> 16))
    }

    /// Runs `body` holding the stripe lock of slot `index`.
    @inlinable @inline(__always)
    func withStripe<R>(_ index: Int, _ body: () -> R) -> R {
        let word = locks + (index & 63) &* HandleTable.lockStride
        ws2spi_lock(word)
        defer { ws2spi_unlock(word) }
        return body()
    }

    /// The object for a live handle, retained; nil for a closed or foreign handle.
    @inlinable @inline(__always)
    public func lookup(_ handle: UInt32) -> Object? {
        guard let (index, generation) = split(handle) else { return nil }
        return withStripe(index) {
            slots[index].generation == generation ? slots[index].object : nil
        }
    }

    /// The object for a live handle as an unmanaged reference holding one
    /// retain (the caller releases it): for callers that keep many at once.
    @inlinable @inline(__always)
    public func lookupRetained(_ handle: UInt32) -> Unmanaged<Object>? {
        guard let (index, generation) = split(handle) else { return nil }
        return withStripe(index) {
            guard slots[index].generation == generation, let object = slots[index].object else { return nil }
            return Unmanaged.passRetained(object)
        }
    }

    /// Starts a span of unretained lookups (WSPSelect's poll with no wait:
    /// no retain/release per socket). Keep the span short: removed objects
    /// are not released until every span has ended.
    @inlinable @inline(__always)
    public func beginUnretainedReads() {
        unretainedReaders.add(1, ordering: .sequentiallyConsistent)
    }

    @inlinable @inline(__always)
    public func endUnretainedReads() {
        if unretainedReaders.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { drainRetired() }
    }

    /// Like lookupRetained, without the retain and without the stripe lock:
    /// valid only inside a span. The slot is read like a seqlock: the
    /// generation before and after the object's address must both be the
    /// handle's, and the address is read as plain bits (an aligned word, so
    /// never torn). An object seen this way stays allocated until the span
    /// ends (remove retires it), even if another thread closes it meanwhile.
    @inlinable @inline(__always)
    public func lookupUnretained(_ handle: UInt32) -> Unmanaged<Object>? {
        guard let (index, generation) = split(handle) else { return nil }
        let slot = UnsafeRawPointer(slots + index)
        let objectOffset = MemoryLayout<Slot>.offset(of: \Slot.object)!
        let generationOffset = MemoryLayout<Slot>.offset(of: \Slot.generation)!
        guard slot.load(fromByteOffset: generationOffset, as: UInt16.self) == generation else { return nil }
        atomicMemoryFence(ordering: .acquiring)
        let bits = slot.load(fromByteOffset: objectOffset, as: UInt.self)
        atomicMemoryFence(ordering: .acquiring)
        guard bits != 0, slot.load(fromByteOffset: generationOffset, as: UInt16.self) == generation,
              let address = UnsafeRawPointer(bitPattern: bits) else { return nil }
        return Unmanaged<Object>.fromOpaque(address)
    }

    /// Releases retired objects once no span is running. The check is made
    /// under the lock: a span that starts after it cannot find them (they
    /// left their slots before they were retired).
    @usableFromInline func drainRetired() {
        let objects: [UInt] = retired.withLock { list in
            guard unretainedReaders.load(ordering: .sequentiallyConsistent) == 0, !list.isEmpty else { return [] }
            let taken = list
            list.removeAll()
            return taken
        }
        for o in objects { Unmanaged<Object>.fromOpaque(UnsafeRawPointer(bitPattern: o)!).release() }
    }

    /// Removes a live handle and returns its object; the handle is dead from now on.
    public func remove(_ handle: UInt32) -> Object? {
        guard let (index, generation) = split(handle) else { return nil }
        let result: (Object, Bool)? = withStripe(index) {
            guard slots[index].generation == generation, let object = slots[index].object else { return nil }
            slots[index].object = nil
            let retired = slots[index].generation == space.generations.upperBound
            if !retired { slots[index].generation += 1 }
            return (object, retired)
        }
        guard let (object, slotRetired) = result else { return nil }
        if !slotRetired { free.withLock { $0.push(index) } }
        // A span that read the slot before it was cleared may still use the
        // object: keep a reference until the spans end.
        if unretainedReaders.load(ordering: .sequentiallyConsistent) > 0 {
            let kept = UInt(bitPattern: Unmanaged.passRetained(object).toOpaque())
            retired.withLock { $0.append(kept) }
            if unretainedReaders.load(ordering: .sequentiallyConsistent) == 0 { drainRetired() }
        }
        return object
    }

    /// Removes every live handle and returns the objects (WSPCleanup).
    public func removeAll() -> [Object] { removeAll { _ in true } }

    /// Removes every live handle whose object satisfies `predicate` (called
    /// under a stripe lock: keep it short) and returns those objects.
    public func removeAll(where predicate: (Object) -> Bool) -> [Object] {
        var objects: [Object] = []
        for index in 0..<capacity {
            let generation: UInt16? = withStripe(index) {
                guard let object = slots[index].object, predicate(object) else { return nil }
                return slots[index].generation
            }
            if let generation, let object = remove(UInt32(generation) << 16 | UInt32(index + 1)) { objects.append(object) }
        }
        return objects
    }

    /// Number of live handles.
    public var count: Int { capacity - free.withLock { $0.count } - retiredCount }
    private var retiredCount: Int {
        var n = 0
        for index in 0..<capacity {
            withStripe(index) {
                if slots[index].generation == space.generations.upperBound && slots[index].object == nil { n += 1 }
            }
        }
        return n
    }
}

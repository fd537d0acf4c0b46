/// An immutable value kept behind one reference, so a struct that holds it (a session's state machine, kept by
/// every session for its whole life) stores 8 bytes instead of the value: for values that are large, set once
/// and often absent.
struct Boxed<Value> {
    private final class Storage: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private let storage: Storage

    init(_ value: Value) { self.storage = Storage(value) }

    var value: Value { self.storage.value }
}

// The box holds an immutable value: sharing it is as safe as sharing the value.
extension Boxed: Sendable where Value: Sendable {}

/// A mutable value kept behind one reference by its one owner (a session), for state that most owners never need:
/// the owner keeps 8 bytes until it does.
final class MutableBox<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}

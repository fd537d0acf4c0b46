/// A system call of the raw loop failed.
struct RawSocketError: Error, CustomStringConvertible {
    var errno: Int32
    var operation: String

    var description: String { "\(self.operation): errno \(self.errno)" }
}

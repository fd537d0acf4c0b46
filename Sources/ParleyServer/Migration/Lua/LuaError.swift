/// Why a Prosody file could not be read: the file, the line and what Lua or Parley found there.
///
/// ```
/// /etc/prosody/conf.d/meet.example.org.cfg.lua:12: attempt to concatenate a nil value (global 'domain')
/// ```
public struct LuaError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the file as a whole is the problem (it cannot be read, or used too much memory).
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        self.line > 0 ? "\(self.file):\(self.line): \(self.message)" : "\(self.file): \(self.message)"
    }
}

/// Why a Prosody file could not be read: the file, the line and what Parley found there.
///
/// ```
/// /etc/prosody/conf.d/meet.example.org.cfg.lua:12: 'local' is Lua code Parley does not run; …
/// ```
public struct LuaSubsetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the file as a whole is the problem (it cannot be read).
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

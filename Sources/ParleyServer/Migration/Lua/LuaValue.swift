/// A value a Prosody configuration or data file gave, as `LuaSandbox` read it from Lua 5.4 after the file ran
/// (Lua 5.4 reference manual §2.1): strings (UTF-8), numbers, booleans, nil and tables.
///
/// ```lua
/// admins = { "focus@auth.meet.jitsi" }
/// limits = { c2s = { rate = "10kb/s" }; }
/// ```
public indirect enum LuaValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case boolean(Bool)
    case `nil`
    case table(LuaTable)
    /// A function, userdata or thread: nothing Parley can carry over; the Lua type name.
    case other(String)

    /// The string, or nil for any other kind.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number when it is a whole number that fits an `Int`, else nil.
    public var integer: Int? {
        guard case .number(let number) = self, number.rounded() == number, abs(number) < 1e15 else { return nil }
        return Int(number)
    }

    public var boolean: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    public var table: LuaTable? {
        if case .table(let table) = self { return table }
        return nil
    }

    /// The list part of a table as strings (Prosody's `{ "a"; "b" }`), or a single string as a one-item list;
    /// nil when anything else is in it.
    public var strings: [String]? {
        switch self {
        case .string(let text): return [text]
        case .table(let table):
            let values = table.list.map(\.value)
            let strings = values.compactMap(\.string)
            return strings.count == values.count && table.fields.isEmpty ? strings : nil
        default: return nil
        }
    }

    /// How the value reads in a note: short, on one line.
    public var summary: String {
        switch self {
        case .string(let text): return "\"\(text.count > 40 ? text.prefix(40) + "…" : Substring(text))\""
        case .number(let number): return self.integer.map(String.init) ?? String(number)
        case .boolean(let value): return value ? "true" : "false"
        case .nil: return "nil"
        case .table(let table): return "{ \(table.list.count + table.fields.count) entries }"
        case .other(let type): return "a \(type)"
        }
    }
}

/// A Lua table's entries, each with the line where it is written (`LuaSourceLines`), in that order: the sequence
/// 1…n as positional items (`{ "a", "b" }`) and every other key as a named field (`{ rate = "10kb/s" }`,
/// `{ ["salt"] = "…" }`; a number or boolean key by its text).
public struct LuaTable: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// The key of a named field; nil for a positional item.
        public var key: String?
        public var value: LuaValue
        public var line: Int
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The positional items.
    public var list: [Entry] { self.entries.filter { $0.key == nil } }

    /// The named fields.
    public var fields: [Entry] { self.entries.filter { $0.key != nil } }

    /// The last value given to `key` (Lua keeps the last one).
    public subscript(key: String) -> LuaValue? {
        self.entries.last { $0.key == key }?.value
    }
}

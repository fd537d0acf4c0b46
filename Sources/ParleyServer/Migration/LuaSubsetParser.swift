/// Reads the Lua subset that Prosody configurations and data files use, without running any Lua.
///
/// Prosody executes `prosody.cfg.lua` as Lua (its `core/configmanager.lua`), but the files Jitsi's installs
/// generate are data: assignments of strings, numbers, booleans and tables, the section statements
/// `VirtualHost "host"` and `Component "host" "module"`, and `Include "glob"`. Data files
/// (`data/<host>/accounts/<user>.dat`, written by Prosody's `util/datamanager.lua`) are one `return { … }`.
/// Anything else (variables, `local`, operators, `..`, other calls, Prosody 13's `ENV_*` and `Lua.` helpers)
/// is refused with the file, the line and what was found, so nothing is silently misread.
///
/// Lexical rules follow the Lua 5.4 manual §3.1: `--` and `--[[ ]]` comments, short strings with escapes,
/// long strings `[[ ]]` and `[==[ ]==]`, decimal and hexadecimal numbers.
public struct LuaSubsetParser {
    /// Whether `return` is allowed (data files) or not (configuration files).
    public enum Mode: Sendable {
        case configuration
        case data
    }

    /// The functions a configuration may call, with their argument counts.
    static let calls: [String: ClosedRange<Int>] = ["VirtualHost": 1...1, "Component": 1...2, "Include": 1...1]

    private let file: String
    private let mode: Mode
    private var lexer: LuaLexer
    private var token: LuaToken

    /// Parses `text` (named `file` in errors) into its statements.
    public static func parse(
        _ text: String,
        file: String,
        mode: Mode = .configuration
    ) throws(LuaSubsetError)
        -> [LuaStatement]
    {
        var parser = try LuaSubsetParser(text: text, file: file, mode: mode)
        return try parser.statements()
    }

    /// The value of a data file's `return` statement.
    public static func parseData(_ text: String, file: String) throws(LuaSubsetError) -> LuaValue {
        let statements = try self.parse(text, file: file, mode: .data)
        guard statements.count == 1, case .return(let value, _) = statements[0] else {
            throw LuaSubsetError(file: file, line: 1, message: "a data file is one 'return { … }' statement")
        }
        return value
    }

    private init(text: String, file: String, mode: Mode) throws(LuaSubsetError) {
        self.file = file
        self.mode = mode
        self.lexer = LuaLexer(Array(text.utf8))
        self.token = LuaToken(kind: .end, line: 1)
        self.token = try self.next()
    }

    private mutating func next() throws(LuaSubsetError) -> LuaToken {
        do {
            return try self.lexer.next()
        } catch {
            throw LuaSubsetError(file: self.file, line: error.line, message: error.message)
        }
    }

    private mutating func advance() throws(LuaSubsetError) {
        self.token = try self.next()
    }

    private func fail(_ message: String, line: Int? = nil) -> LuaSubsetError {
        LuaSubsetError(file: self.file, line: line ?? self.token.line, message: message)
    }

    /// What Parley says about Lua it does not read.
    private func unsupported(_ what: String) -> LuaSubsetError {
        self.fail(
            "\(what) is Lua code Parley does not run; it reads only assignments of strings, numbers, booleans and "
                + "tables, VirtualHost, Component and Include (write the value itself, or convert this part by hand)"
        )
    }

    // MARK: - Statements

    private mutating func statements() throws(LuaSubsetError) -> [LuaStatement] {
        var statements: [LuaStatement] = []
        while true {
            switch self.token.kind {
            case .end:
                return statements
            case .symbol(";"):
                try self.advance()
            case .name(let name):
                let line = self.token.line
                try self.advance()
                statements.append(try self.statement(startingWith: name, line: line))
            case .keyword("return") where self.mode == .data:
                let line = self.token.line
                try self.advance()
                let value = try self.expression()
                if case .symbol(";") = self.token.kind { try self.advance() }
                guard case .end = self.token.kind else { throw self.fail("nothing may follow 'return'") }
                statements.append(.return(value, line: line))
            case .keyword(let word):
                throw self.unsupported("'\(word)'")
            default:
                throw self.fail("expected an option name or VirtualHost, Component or Include, found \(self.token)")
            }
        }
    }

    private mutating func statement(startingWith name: String, line: Int) throws(LuaSubsetError) -> LuaStatement {
        switch self.token.kind {
        case .symbol("="):
            try self.advance()
            let value = try self.expression()
            try self.expectStatementEnd(after: name)
            return .assignment(name: name, value: value, line: line)
        case .symbol("."), .symbol("["):
            throw self.unsupported("assigning to a field of '\(name)'")
        case .string, .symbol("("):
            guard let arity = Self.calls[name] else { throw self.unsupported("calling '\(name)'") }
            var arguments: [String] = []
            while arguments.count < arity.upperBound, let argument = try self.callArgument() {
                arguments.append(contentsOf: argument)
            }
            guard arity.contains(arguments.count) else {
                throw self.fail(
                    "\(name) takes \(arity.upperBound == 1 ? "one string" : "one or two strings")",
                    line: line
                )
            }
            try self.expectStatementEnd(after: name)
            return .call(function: name, arguments: arguments, line: line)
        default:
            if name.hasPrefix("ENV_") || name == "Lua" { throw self.unsupported("'\(name)'") }
            throw self.fail("expected '=' after '\(name)', found \(self.token)")
        }
    }

    /// A call's argument: `"text"` or `("text")` or `("a", "b")`; nil when the next token starts none.
    private mutating func callArgument() throws(LuaSubsetError) -> [String]? {
        switch self.token.kind {
        case .string(let text):
            try self.advance()
            return [text]
        case .symbol("("):
            try self.advance()
            var arguments: [String] = []
            while true {
                guard case .string(let text) = self.token.kind else {
                    throw self.unsupported("an argument other than a quoted string (\(self.token))")
                }
                arguments.append(text)
                try self.advance()
                if case .symbol(",") = self.token.kind {
                    try self.advance()
                    continue
                }
                guard case .symbol(")") = self.token.kind else { throw self.fail("expected ')', found \(self.token)") }
                try self.advance()
                return arguments
            }
        default:
            return nil
        }
    }

    /// After a statement: `;`, the next statement's first token, or the end. Anything else (an operator) is code.
    private mutating func expectStatementEnd(after name: String) throws(LuaSubsetError) {
        switch self.token.kind {
        case .end, .name, .symbol(";"):
            return
        case .keyword("return") where self.mode == .data:
            return
        case .keyword(let word) where word != "and" && word != "or":
            return
        default:
            throw self.unsupported("'\(self.token)' after the value of '\(name)'")
        }
    }

    // MARK: - Expressions

    private mutating func expression() throws(LuaSubsetError) -> LuaValue {
        let value = try self.simpleExpression()
        switch self.token.kind {
        case .symbol(let symbol) where LuaLexer.operators.contains(symbol):
            throw self.unsupported("the operator '\(symbol)'")
        case .keyword("and"), .keyword("or"):
            throw self.unsupported("'\(self.token)'")
        default:
            return value
        }
    }

    private mutating func simpleExpression() throws(LuaSubsetError) -> LuaValue {
        let token = self.token
        switch token.kind {
        case .string(let text):
            try self.advance()
            return .string(text)
        case .number(let number):
            try self.advance()
            return .number(number)
        case .symbol("-"):
            try self.advance()
            guard case .number(let number) = self.token.kind else { throw self.unsupported("the operator '-'") }
            try self.advance()
            return .number(-number)
        case .keyword("true"):
            try self.advance()
            return .boolean(true)
        case .keyword("false"):
            try self.advance()
            return .boolean(false)
        case .keyword("nil"):
            try self.advance()
            return .nil
        case .symbol("{"):
            try self.advance()
            return .table(try self.tableConstructor(line: token.line))
        case .name(let name):
            throw self.unsupported("the variable or function '\(name)'")
        case .keyword("function"):
            throw self.unsupported("'function'")
        default:
            throw self.fail("expected a value, found \(token)")
        }
    }

    /// `{ item, name = value; ["key"] = value }` after its `{`.
    private mutating func tableConstructor(line: Int) throws(LuaSubsetError) -> LuaTable {
        var table = LuaTable()
        while true {
            let entryLine = self.token.line
            switch self.token.kind {
            case .symbol("}"):
                try self.advance()
                return table
            case .end:
                throw self.fail("the table opened at line \(line) is not closed")
            case .symbol("["):
                try self.advance()
                guard case .string(let key) = self.token.kind else {
                    throw self.fail("only string keys are read in ['…'] = …, found \(self.token)")
                }
                try self.advance()
                try self.expect("]")
                try self.expect("=")
                table.entries.append(.init(key: key, value: try self.expression(), line: entryLine))
            case .name(let name) where self.lexer.peekIsAssignment():
                try self.advance()
                try self.expect("=")
                table.entries.append(.init(key: name, value: try self.expression(), line: entryLine))
            default:
                table.entries.append(.init(key: nil, value: try self.expression(), line: entryLine))
            }
            switch self.token.kind {
            case .symbol(","), .symbol(";"):
                try self.advance()
            case .symbol("}"):
                continue
            default:
                throw self.fail("expected ',', ';' or '}' in the table opened at line \(line), found \(self.token)")
            }
        }
    }

    private mutating func expect(_ symbol: String) throws(LuaSubsetError) {
        guard case .symbol(symbol) = self.token.kind else {
            throw self.fail("expected '\(symbol)', found \(self.token)")
        }
        try self.advance()
    }
}

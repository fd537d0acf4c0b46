import Foundation
import ParleyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a new password for `parley user`: `PARLEY_PASSWORD` if set, else the first line of standard input,
/// prompted for without echo (twice, to catch typos) when standard input is a terminal.
enum PasswordReader {
    /// Why no password could be read; printed as `Error: …`, without the usage text a `ValidationError` adds.
    struct Failure: Error, CustomStringConvertible {
        var description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The environment variable that supplies the password non-interactively.
    static let environmentVariable = "PARLEY_PASSWORD"

    static func read(for jid: JID, confirm: Bool) throws -> String {
        if let password = ProcessInfo.processInfo.environment[self.environmentVariable] {
            guard !password.isEmpty else { throw Failure("\(self.environmentVariable) is empty") }
            return password
        }
        guard isatty(STDIN_FILENO) == 1 else {
            guard let line = readLine(strippingNewline: true) else {
                throw Failure("no password: set \(self.environmentVariable) or write it on standard input")
            }
            let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
            guard !password.isEmpty else { throw Failure("the password on standard input is empty") }
            return password
        }
        let password = try self.prompt("Password for \(jid): ")
        guard !password.isEmpty else { throw Failure("the password is empty") }
        if confirm, try self.prompt("Repeat the password: ") != password {
            throw Failure("the passwords differ")
        }
        return password
    }

    /// One line from the terminal with echo off; the terminal's settings are restored afterwards.
    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw Failure("cannot read the terminal's settings")
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0 else {
            throw Failure("cannot turn off the terminal's echo")
        }
        defer {
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else {
            throw Failure("no password entered")
        }
        return line
    }
}

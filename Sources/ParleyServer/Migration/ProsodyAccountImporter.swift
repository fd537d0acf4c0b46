import Foundation
import ParleyCore

/// Imports the accounts of Prosody's `internal_hashed` hosts into an `AccountStore`, keeping their passwords
/// working without ever knowing them.
///
/// Prosody's `mod_auth_internal_hashed` keeps, for each account, `<data_path>/<host>/accounts/<user>.dat`: a Lua
/// data file with the SCRAM values of RFC 5802 §3 (`password_hash` SHA-1 by default):
///
/// ```lua
/// return {
///     ["salt"] = "e7a5d82f-d9b4-45d3-b90c-07bf7ccdb8dd";
///     ["stored_key"] = "492a5bb5fc15dce3c84d5592f2eecb5d3e132166";
///     ["iteration_count"] = 10000;
///     ["server_key"] = "481869f297c7664e64a6e10e9fa3a7e48fe12404";
/// };
/// ```
///
/// Host and user names are encoded by `util/datamanager.lua`: every byte that is not a letter or digit becomes
/// `%xx` (`auth%2emeet%2ejitsi`). Each file is run by `LuaSandbox` as Prosody loads it: Lua 5.4, text only, an
/// empty environment, the instruction and memory limits of `LuaSandbox.Limits.data`. The salt is used as the bytes of its string, as Prosody's SCRAM does. The keys
/// become the account's only credentials, for the hash their length shows (20 bytes SHA-1, 32 bytes SHA-256):
/// a login with that SCRAM mechanism, or PLAIN, works with the old password; `parley user passwd` later gives
/// the account both hashes.
public struct ProsodyAccountImporter {
    /// What was imported.
    public struct Outcome: Sendable {
        public var imported: [JID] = []
        public var notes: [MigrationNote] = []
    }

    /// The largest account file read; Prosody's are a few hundred bytes.
    static let maximumFileBytes = 64 * 1024

    public let dataPath: String

    public init(dataPath: String) {
        self.dataPath = dataPath
    }

    /// `datamanager.lua`'s `encode`: every byte other than an ASCII letter or digit as `%xx`.
    public static func encode(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            let isAlphanumeric =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if isAlphanumeric {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out
    }

    /// The inverse of `encode`; nil for a malformed escape or bytes that are not UTF-8.
    public static func decode(_ name: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(name.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The credentials in one account file's text (`file` names it in errors).
    public static func credentials(
        fromAccountFile text: String,
        file: String
    ) throws(LuaError)
        -> SCRAMCredentials
    {
        let value = try LuaSandbox(limits: .data).evaluateData(text, file: file)
        func fail(_ message: String) -> LuaError { LuaError(file: file, line: 1, message: message) }
        guard let table = value.table else { throw fail("an account file returns a table") }
        guard let storedHex = table["stored_key"]?.string, let serverHex = table["server_key"]?.string,
            let salt = table["salt"]?.string, let iterations = table["iteration_count"]?.integer
        else {
            if table["password"] != nil {
                throw fail(
                    "a plaintext password (internal_plain), not SCRAM keys: not imported; set a new one with "
                        + "`parley user passwd`"
                )
            }
            throw fail("stored_key, server_key, salt and iteration_count are needed")
        }
        guard let storedKey = Self.hexBytes(storedHex), let serverKey = Self.hexBytes(serverHex) else {
            throw fail("stored_key and server_key must be hexadecimal")
        }
        let algorithm: HashAlgorithm
        switch storedKey.count {
        case HashAlgorithm.sha1.digestLength: algorithm = .sha1
        case HashAlgorithm.sha256.digestLength: algorithm = .sha256
        default: throw fail("keys of \(storedKey.count) bytes are neither SHA-1 nor SHA-256")
        }
        guard serverKey.count == storedKey.count else { throw fail("stored_key and server_key differ in length") }
        guard (1...SCRAMCredentials.maximumIterations).contains(iterations) else {
            throw fail("iteration_count \(iterations) is out of range")
        }
        guard !salt.isEmpty else { throw fail("the salt is empty") }
        return SCRAMCredentials(
            algorithm: algorithm,
            salt: Array(salt.utf8),
            iterations: iterations,
            storedKey: storedKey,
            serverKey: serverKey
        )
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index + 1 < digits.count {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }

    /// Imports every account of `hosts` (the configuration's internal_hashed hosts) into `store`, replacing
    /// the credentials of an account that exists. Accounts of other hosts found in the data path are reported,
    /// not imported.
    public func importAccounts(hosts: [String], into store: any AccountStore) -> Outcome {
        var outcome = Outcome()
        let manager = FileManager.default
        let folders = (try? manager.contentsOfDirectory(atPath: self.dataPath)) ?? []
        if folders.isEmpty {
            outcome.notes.append(MigrationNote(.account, self.dataPath, "no host folders here: no account imported"))
        }
        for folder in folders.sorted() {
            let accounts = URL(fileURLWithPath: self.dataPath).appendingPathComponent(folder)
                .appendingPathComponent("accounts")
            guard let files = try? manager.contentsOfDirectory(atPath: accounts.path) else { continue }
            guard let host = Self.decode(folder) else {
                outcome.notes.append(MigrationNote(.account, folder, "not a host folder name; skipped"))
                continue
            }
            guard hosts.contains(host) else {
                outcome.notes.append(
                    MigrationNote(
                        .account,
                        host,
                        "\(files.count) account file(s) of a host that is not internal_hashed in the configuration; "
                            + "not imported"
                    )
                )
                continue
            }
            for file in files.sorted() where file.hasSuffix(".dat") {
                let path = accounts.appendingPathComponent(file).path
                guard let username = Self.decode(String(file.dropLast(4))) else {
                    outcome.notes.append(MigrationNote(.account, path, "not an account file name; skipped"))
                    continue
                }
                do {
                    let text = try Self.readSmallFile(path)
                    let credentials = try Self.credentials(fromAccountFile: text, file: path)
                    try store.setCredentials([credentials], username: username, host: host)
                    let jid = try JID(localpart: username, domainpart: host, resourcepart: nil)
                    outcome.imported.append(jid)
                    outcome.notes.append(
                        MigrationNote(
                            .account,
                            jid.description,
                            "imported (SCRAM-\(credentials.algorithm.rawValue), \(credentials.iterations) iterations)"
                        )
                    )
                } catch {
                    outcome.notes.append(MigrationNote(.account, "\(username)@\(host)", "not imported: \(error)"))
                }
            }
        }
        return outcome
    }

    private static func readSmallFile(_ path: String) throws(LuaError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LuaError(file: path, line: 0, message: "cannot read the file (permissions?)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: Self.maximumFileBytes + 1)) ?? Data()
        guard data.count <= Self.maximumFileBytes, let text = String(data: data, encoding: .utf8) else {
            throw LuaError(file: path, line: 0, message: "not a Prosody account file (too large or not UTF-8)")
        }
        return text
    }
}

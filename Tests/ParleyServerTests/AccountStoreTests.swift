import Foundation
import ParleyCore
import ParleyServer
import Testing

/// The two account stores, so one test body covers both.
enum AccountStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case memory

    var testDescription: String { self.rawValue }

    /// A fresh, empty store, and for SQLite the folder to remove afterwards.
    func make() throws -> (store: any AccountStore, directory: URL?) {
        switch self {
        case .memory:
            return (MemoryAccountStore(), nil)
        case .sqlite:
            let directory = AccountTestFolder.make()
            return (try SQLiteAccountStore(dataDirectory: directory.path), directory)
        }
    }
}

/// Unique temporary folders for account tests.
enum AccountTestFolder {
    static func make() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-accounts-\(UInt64.random(in: 0...UInt64.max))",
            isDirectory: true
        )
    }

    static func remove(_ url: URL?) {
        if let url { try? FileManager.default.removeItem(at: url) }
    }
}

@Suite("Account stores")
struct AccountStoreTests {
    @Test("add, look up both algorithms, change, delete, list", arguments: AccountStoreKind.allCases)
    func lifecycle(kind: AccountStoreKind) throws {
        let (store, directory) = try kind.make()
        defer { AccountTestFolder.remove(directory) }
        let host = "auth.meet.jitsi"

        #expect(try !store.exists(username: "focus", host: host))
        #expect(try store.credentials(username: "focus", host: host, algorithm: .sha256) == nil)

        try store.setPassword("correct horse", username: "focus", host: host)
        #expect(try store.exists(username: "focus", host: host))
        for algorithm in HashAlgorithm.allCases {
            let credentials = try #require(try store.credentials(username: "focus", host: host, algorithm: algorithm))
            #expect(credentials.algorithm == algorithm)
            #expect(credentials.iterations == SCRAMCredentials.defaultIterations)
            #expect(credentials.salt.count == 16)
            #expect(credentials.verify(password: "correct horse"))
            #expect(!credentials.verify(password: "wrong horse"))
        }
        let sha1 = try #require(try store.credentials(username: "focus", host: host, algorithm: .sha1))
        let sha256 = try #require(try store.credentials(username: "focus", host: host, algorithm: .sha256))
        #expect(sha1.salt != sha256.salt, "each algorithm gets its own salt")

        // Usernames and hosts are prepared: case does not matter.
        #expect(try store.exists(username: "FOCUS", host: "Auth.Meet.Jitsi"))

        // A new password replaces the credentials, with a new salt.
        try store.setPassword("battery staple", username: "focus", host: host)
        let changed = try #require(try store.credentials(username: "focus", host: host, algorithm: .sha256))
        #expect(changed.verify(password: "battery staple"))
        #expect(!changed.verify(password: "correct horse"))
        #expect(changed.salt != sha256.salt)

        try store.setPassword("x", username: "jvb", host: host)
        try store.setPassword("y", username: "alice", host: "example.org")
        // Sorted by host, then username.
        #expect(
            try store.list(host: nil).map(\.description) == [
                "focus@auth.meet.jitsi", "jvb@auth.meet.jitsi", "alice@example.org",
            ]
        )
        #expect(
            try store.list(host: "AUTH.meet.jitsi").map(\.description) == [
                "focus@auth.meet.jitsi", "jvb@auth.meet.jitsi",
            ]
        )
        #expect(try store.list(host: "nowhere.example").isEmpty)

        #expect(try store.delete(username: "focus", host: host))
        #expect(try !store.delete(username: "focus", host: host))
        #expect(try !store.exists(username: "focus", host: host))
        #expect(try store.credentials(username: "focus", host: host, algorithm: .sha1) == nil)
        #expect(try store.list(host: host).map(\.description) == ["jvb@auth.meet.jitsi"])
    }

    @Test(
        "invalid names: lookups find nothing, setPassword refuses; empty passwords are refused",
        arguments: AccountStoreKind.allCases
    )
    func invalidInput(kind: AccountStoreKind) throws {
        let (store, directory) = try kind.make()
        defer { AccountTestFolder.remove(directory) }
        #expect(try store.credentials(username: "a b", host: "auth.meet.jitsi", algorithm: .sha1) == nil)
        #expect(try !store.exists(username: "", host: "auth.meet.jitsi"))
        #expect(try !store.delete(username: "a/b", host: "auth.meet.jitsi"))
        #expect(throws: AccountStoreError.self) {
            try store.setPassword("x", username: "a@b", host: "auth.meet.jitsi")
        }
        #expect(throws: AccountStoreError.emptyPassword) {
            try store.setPassword("", username: "focus", host: "auth.meet.jitsi")
        }
        #expect(try store.list(host: nil).isEmpty)
    }
}

@Suite("SQLite account store file")
struct AccountSQLiteFileTests {
    @Test("the file holds no password bytes, survives a reopen, and is readable by its owner only")
    func fileProperties() throws {
        let directory = AccountTestFolder.make().appendingPathComponent("nested/data")
        defer { AccountTestFolder.remove(directory.deletingLastPathComponent().deletingLastPathComponent()) }
        let password = "Very-Distinctive-Password-4711"
        do {
            let store = try SQLiteAccountStore(dataDirectory: directory.path)
            try store.setPassword(password, username: "focus", host: "auth.meet.jitsi")
            #expect(store.path == directory.appendingPathComponent("accounts.sqlite").path)
        }

        let file = directory.appendingPathComponent(SQLiteAccountStore.fileName)
        let bytes = try Data(contentsOf: file)
        #expect(!bytes.isEmpty)
        #expect(bytes.range(of: Data(password.utf8)) == nil, "the password must never reach the file")
        #expect(bytes.range(of: Data(password.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })) == nil)

        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let reopened = try SQLiteAccountStore(dataDirectory: directory.path)
        #expect(try reopened.exists(username: "focus", host: "auth.meet.jitsi"))
        let credentials = try #require(
            try reopened.credentials(username: "focus", host: "auth.meet.jitsi", algorithm: .sha256)
        )
        #expect(credentials.verify(password: password))
    }

    @Test("an existing file with loose permissions is tightened to 0600")
    func tightensPermissions() throws {
        let directory = AccountTestFolder.make()
        defer { AccountTestFolder.remove(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(SQLiteAccountStore.fileName)
        #expect(
            FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o644])
        )
        _ = try SQLiteAccountStore(dataDirectory: directory.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("a file that is not a database is a storage error, not a crash")
    func notADatabase() throws {
        let directory = AccountTestFolder.make()
        defer { AccountTestFolder.remove(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(SQLiteAccountStore.fileName)
        try Data(repeating: 0x41, count: 4096).write(to: file)
        #expect(throws: AccountStoreError.self) {
            _ = try SQLiteAccountStore(dataDirectory: directory.path)
        }
    }
}

import Foundation
import GRDB
import ParleyCore

/// The default `AccountStore`: one SQLite file, `<data_directory>/accounts.sqlite`, holding only salted SCRAM
/// credentials (RFC 5802 §3), readable by its owner alone (mode 0600).
///
/// ```
/// account(host, username)                                       -- primary key (host, username)
/// scram_credential(host, username, algorithm, salt, iterations, stored_key, server_key)
/// ```
///
/// GRDB's `DatabaseQueue` serialises access inside the process; SQLite's file locks (with a busy timeout) let
/// `parley user` change accounts while the server runs, and the server sees the change on its next lookup.
/// `secure_delete` overwrites deleted credentials in the file.
public final class SQLiteAccountStore: AccountStore {
    /// The file's name inside the data directory.
    public static let fileName = "accounts.sqlite"

    /// The database file.
    public let path: String
    private let queue: DatabaseQueue

    /// Opens (or creates, with its directory) `<dataDirectory>/accounts.sqlite` and migrates its schema.
    public convenience init(dataDirectory: String) throws(AccountStoreError) {
        let url = URL(fileURLWithPath: dataDirectory, isDirectory: true).appendingPathComponent(Self.fileName)
        try self.init(path: url.path)
    }

    /// Opens (or creates, with its directory) the database file at `path` and migrates its schema.
    public init(path: String) throws(AccountStoreError) {
        self.path = path
        do {
            try Self.createFile(at: path)
            var configuration = Configuration()
            configuration.label = "ParleyAccounts"
            configuration.busyMode = .timeout(5)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            self.queue = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(self.queue)
        } catch let error as AccountStoreError {
            throw error
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Makes the folder (0700) and an empty file (0600) when missing, and sets 0600 on an existing file: SQLite
    /// then creates its journal with the same mode.
    private static func createFile(at path: String) throws {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        try manager.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw AccountStoreError.storage("cannot create \(path)")
            }
        }
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// The schema's history; a later change is a new migration appended here.
    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accounts with SCRAM credentials") { db in
            try db.execute(
                sql: """
                    CREATE TABLE account (
                        host TEXT NOT NULL,
                        username TEXT NOT NULL,
                        PRIMARY KEY (host, username)
                    );
                    CREATE TABLE scram_credential (
                        host TEXT NOT NULL,
                        username TEXT NOT NULL,
                        algorithm TEXT NOT NULL,
                        salt BLOB NOT NULL,
                        iterations INTEGER NOT NULL,
                        stored_key BLOB NOT NULL,
                        server_key BLOB NOT NULL,
                        PRIMARY KEY (host, username, algorithm),
                        FOREIGN KEY (host, username) REFERENCES account (host, username) ON DELETE CASCADE
                    );
                    """
            )
        }
        return migrator
    }

    // MARK: - AccountStore

    public func credentials(username: String, host: String, algorithm: HashAlgorithm) throws -> SCRAMCredentials? {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return nil }
        return try self.perform { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT salt, iterations, stored_key, server_key FROM scram_credential
                    WHERE host = ? AND username = ? AND algorithm = ?
                    """,
                arguments: [jid.domainpart, jid.localpart, algorithm.rawValue]
            )
            guard let row else { return nil }
            // Throwing decodes: a damaged row is a storage error, never a trap.
            let salt = try row.decode(Data.self, forColumn: "salt")
            let iterations = try row.decode(Int.self, forColumn: "iterations")
            let storedKey = try row.decode(Data.self, forColumn: "stored_key")
            let serverKey = try row.decode(Data.self, forColumn: "server_key")
            guard (1...SCRAMCredentials.maximumIterations).contains(iterations),
                storedKey.count == algorithm.digestLength, serverKey.count == algorithm.digestLength
            else {
                throw AccountStoreError.storage("damaged credentials in the account store")
            }
            return SCRAMCredentials(
                algorithm: algorithm,
                salt: Array(salt),
                iterations: iterations,
                storedKey: Array(storedKey),
                serverKey: Array(serverKey)
            )
        }
    }

    public func setPassword(_ password: String, username: String, host: String) throws {
        let jid = try AccountRecord.address(username: username, host: host)
        let credentials = try AccountRecord.credentials(password: password)
        try self.performWrite { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO account (host, username) VALUES (?, ?)",
                arguments: [jid.domainpart, jid.localpart]
            )
            for credential in credentials {
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO scram_credential
                            (host, username, algorithm, salt, iterations, stored_key, server_key)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        jid.domainpart, jid.localpart, credential.algorithm.rawValue, Data(credential.salt),
                        credential.iterations, Data(credential.storedKey), Data(credential.serverKey),
                    ]
                )
            }
        }
    }

    public func setCredentials(_ credentials: [SCRAMCredentials], username: String, host: String) throws {
        let jid = try AccountRecord.address(username: username, host: host)
        try AccountRecord.validate(credentials)
        try self.performWrite { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO account (host, username) VALUES (?, ?)",
                arguments: [jid.domainpart, jid.localpart]
            )
            // All of them replaced: an algorithm not imported must not keep keys of an older password.
            try db.execute(
                sql: "DELETE FROM scram_credential WHERE host = ? AND username = ?",
                arguments: [jid.domainpart, jid.localpart]
            )
            for credential in credentials {
                try db.execute(
                    sql: """
                        INSERT INTO scram_credential
                            (host, username, algorithm, salt, iterations, stored_key, server_key)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        jid.domainpart, jid.localpart, credential.algorithm.rawValue, Data(credential.salt),
                        credential.iterations, Data(credential.storedKey), Data(credential.serverKey),
                    ]
                )
            }
        }
    }

    public func delete(username: String, host: String) throws -> Bool {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return false }
        return try self.performWrite { db in
            try db.execute(
                sql: "DELETE FROM account WHERE host = ? AND username = ?",
                arguments: [jid.domainpart, jid.localpart]
            )
            return db.changesCount > 0
        }
    }

    public func exists(username: String, host: String) throws -> Bool {
        guard let jid = try? AccountRecord.address(username: username, host: host) else { return false }
        return try self.perform { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS (SELECT 1 FROM account WHERE host = ? AND username = ?)",
                arguments: [jid.domainpart, jid.localpart]
            ) ?? false
        }
    }

    public func list(host: String?) throws -> [JID] {
        var domain: String? = nil
        if let host {
            guard let prepared = AccountRecord.preparedHost(host) else { return [] }
            domain = prepared
        }
        let rows = try self.perform { db in
            if let domain {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT host, username FROM account WHERE host = ?",
                    arguments: [domain]
                )
            }
            return try Row.fetchAll(db, sql: "SELECT host, username FROM account")
        }
        // Rows written by this store are valid JIDs; anything else in the file is skipped, never trapped on.
        let jids = rows.compactMap { row -> JID? in
            guard let username = try? row.decode(String.self, forColumn: "username"),
                let host = try? row.decode(String.self, forColumn: "host")
            else { return nil }
            return try? JID(localpart: username, domainpart: host, resourcepart: nil)
        }
        return AccountRecord.sorted(jids)
    }

    // MARK: - Errors

    private func perform<T>(_ body: (Database) throws -> T) throws(AccountStoreError) -> T {
        do {
            return try self.queue.read(body)
        } catch {
            throw Self.storageError(error)
        }
    }

    private func performWrite<T>(_ body: (Database) throws -> T) throws(AccountStoreError) -> T {
        do {
            return try self.queue.write(body)
        } catch {
            throw Self.storageError(error)
        }
    }

    /// SQLite's code and message only: GRDB leaves statement arguments out of descriptions by default, and we
    /// do not even pass on the SQL.
    private static func storageError(_ error: any Error) -> AccountStoreError {
        if let error = error as? AccountStoreError { return error }
        if let error = error as? DatabaseError {
            return .storage("SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")")
        }
        return .storage(String(describing: type(of: error)) + ": \(error.localizedDescription)")
    }
}

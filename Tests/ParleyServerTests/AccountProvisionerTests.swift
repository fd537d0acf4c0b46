import Foundation
import ParleyCore
import ParleyServer
import Testing

/// Counts writes, to show that provisioning leaves up-to-date accounts alone.
final class AccountCountingStore: AccountStore {
    let base = MemoryAccountStore()
    private let counter = Counter()

    var writes: Int { self.counter.value }

    func credentials(username: String, host: String, algorithm: HashAlgorithm) throws -> SCRAMCredentials? {
        self.base.credentials(username: username, host: host, algorithm: algorithm)
    }
    func setPassword(_ password: String, username: String, host: String) throws {
        self.counter.increment()
        try self.base.setPassword(password, username: username, host: host)
    }
    func delete(username: String, host: String) throws -> Bool { self.base.delete(username: username, host: host) }
    func exists(username: String, host: String) throws -> Bool { self.base.exists(username: username, host: host) }
    func list(host: String?) throws -> [JID] { self.base.list(host: host) }

    private final class Counter: @unchecked Sendable {  // Tests call it from one thread at a time.
        var value = 0
        func increment() { self.value += 1 }
    }
}

/// A store whose every call fails, as a broken disk would.
struct AccountFailingStore: AccountStore {
    func credentials(username: String, host: String, algorithm: HashAlgorithm) throws -> SCRAMCredentials? {
        throw AccountStoreError.storage("disk on fire")
    }
    func setPassword(_ password: String, username: String, host: String) throws {
        throw AccountStoreError.storage("disk on fire")
    }
    func delete(username: String, host: String) throws -> Bool { throw AccountStoreError.storage("disk on fire") }
    func exists(username: String, host: String) throws -> Bool { throw AccountStoreError.storage("disk on fire") }
    func list(host: String?) throws -> [JID] { throw AccountStoreError.storage("disk on fire") }
}

@Suite("Account provisioning, SASL lookup, administration")
struct AccountProvisionerTests {
    @Test("declared accounts are created from the environment, and rewritten only when the password changes")
    func provisioning() throws {
        let store = AccountCountingStore()
        let accounts = ServerConfiguration.jitsiAccounts
        var environment = ["JICOFO_AUTH_PASSWORD": "focus-secret"]

        var warnings = AccountProvisioner.apply(accounts, to: store, environment: environment)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("jvb@auth.meet.jitsi") == true)
        #expect(warnings.first?.contains("JVB_AUTH_PASSWORD") == true)
        #expect(store.writes == 1)
        let focus = try #require(try store.credentials(username: "focus", host: "auth.meet.jitsi", algorithm: .sha1))
        #expect(focus.verify(password: "focus-secret"))
        #expect(try !store.exists(username: "jvb", host: "auth.meet.jitsi"))

        // A restart with the same password writes nothing.
        environment["JVB_AUTH_PASSWORD"] = "jvb-secret"
        warnings = AccountProvisioner.apply(accounts, to: store, environment: environment)
        #expect(warnings.isEmpty)
        #expect(store.writes == 2)  // only jvb, which is new
        _ = AccountProvisioner.apply(accounts, to: store, environment: environment)
        #expect(store.writes == 2)

        // A changed password is written.
        environment["JICOFO_AUTH_PASSWORD"] = "rotated"
        _ = AccountProvisioner.apply(accounts, to: store, environment: environment)
        #expect(store.writes == 3)
        let rotated = try #require(
            try store.credentials(username: "focus", host: "auth.meet.jitsi", algorithm: .sha256)
        )
        #expect(rotated.verify(password: "rotated"))

        // An unset variable keeps the stored password.
        _ = AccountProvisioner.apply(accounts, to: store, environment: [:])
        #expect(store.writes == 3)
        #expect(try store.exists(username: "focus", host: "auth.meet.jitsi"))
    }

    @Test("store failures become warnings that name the account, never the password")
    func provisioningFailure() {
        let warnings = AccountProvisioner.apply(
            ServerConfiguration.jitsiAccounts,
            to: AccountFailingStore(),
            environment: ["JICOFO_AUTH_PASSWORD": "p4ss-focus", "JVB_AUTH_PASSWORD": "p4ss-jvb"]
        )
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains("disk on fire") && !$0.contains("p4ss") })
    }

    @Test("HostCredentialLookup answers for its host, and nil when the store fails")
    func lookup() throws {
        let store = MemoryAccountStore()
        try store.setPassword("pw", username: "focus", host: "auth.meet.jitsi")
        let lookup = HostCredentialLookup(store: store, host: "auth.meet.jitsi")
        #expect(lookup.scramCredentials(username: "focus", algorithm: .sha256)?.verify(password: "pw") == true)
        #expect(lookup.scramCredentials(username: "nobody", algorithm: .sha256) == nil)
        #expect(
            HostCredentialLookup(store: store, host: "meet.jitsi").scramCredentials(username: "focus", algorithm: .sha1)
                == nil
        )
        let failing = HostCredentialLookup(store: AccountFailingStore(), host: "auth.meet.jitsi")
        #expect(failing.scramCredentials(username: "focus", algorithm: .sha1) == nil)
    }

    @Test("parley user's rules: internal_hashed hosts only, add fails when present, passwd and delete when absent")
    func administration() throws {
        let administrator = AccountAdministrator(configuration: .jitsiPreset, store: MemoryAccountStore())
        let alice = try AccountAdministrator.accountJID("Alice@auth.meet.jitsi")
        #expect(alice.description == "alice@auth.meet.jitsi")

        try administrator.add(alice, password: "one")
        #expect(throws: AccountAdministrationError.alreadyExists(alice)) {
            try administrator.add(alice, password: "two")
        }
        try administrator.changePassword(alice, password: "two")
        #expect(
            try administrator.store.credentials(username: "alice", host: "auth.meet.jitsi", algorithm: .sha1)?
                .verify(password: "two") == true
        )

        let bob = try AccountAdministrator.accountJID("bob@auth.meet.jitsi")
        #expect(throws: AccountAdministrationError.noSuchAccount(bob)) {
            try administrator.changePassword(bob, password: "x")
        }
        #expect(throws: AccountAdministrationError.noSuchAccount(bob)) { try administrator.delete(bob) }

        let anonymous = try AccountAdministrator.accountJID("carol@meet.jitsi")
        #expect(throws: AccountAdministrationError.notInternalHashed("meet.jitsi", .anonymous)) {
            try administrator.add(anonymous, password: "x")
        }
        let elsewhere = try AccountAdministrator.accountJID("dave@example.org")
        #expect(throws: AccountAdministrationError.unknownHost("example.org", internalHashedHosts: ["auth.meet.jitsi"]))
        {
            try administrator.add(elsewhere, password: "x")
        }
        #expect(throws: AccountAdministrationError.notAnAccountJID("auth.meet.jitsi")) {
            try AccountAdministrator.accountJID("auth.meet.jitsi")
        }
        #expect(throws: AccountAdministrationError.self) { try AccountAdministrator.accountJID("a b@c") }

        #expect(try administrator.list(host: nil) == [alice])
        #expect(
            administrator.declaredAccount(try JID("focus@auth.meet.jitsi"))?.passwordEnvironment
                == "JICOFO_AUTH_PASSWORD"
        )
        try administrator.delete(alice)
        #expect(try administrator.list(host: "auth.meet.jitsi").isEmpty)
    }
}

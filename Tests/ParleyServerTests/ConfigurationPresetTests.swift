import Logging
import ParleyCore
import ParleyServer
import Testing

@Suite("Configuration preset")
struct ConfigurationPresetTests {
    @Test("the Jitsi preset has exactly the documented values")
    func presetValues() throws {
        let preset = ServerConfiguration.jitsiPreset
        #expect(preset.dataDirectory == "./data")
        #expect(preset.logLevel == .info)
        #expect(preset.logAddresses == false)
        #expect(preset.logRoomNames == false)
        #expect(preset.eventLoops == 0)

        #expect(preset.listen.address == "127.0.0.1")
        #expect(preset.listen.c2sPort == 5222)
        #expect(preset.listen.c2sTLSPort == 5223)
        #expect(preset.listen.httpPort == 5280)

        #expect(preset.tls.certificate == nil)
        #expect(preset.tls.key == nil)
        #expect(preset.tls.usesSelfSignedCertificate)

        let focus = try JID("focus@auth.meet.jitsi")
        let jvb = try JID("jvb@auth.meet.jitsi")
        #expect(preset.c2s.requireEncryption == true)
        #expect(preset.c2s.allowPlaintextLoopback == false)
        #expect(preset.c2s.maxStanzaBytes == 262_144)
        #expect(preset.c2s.unlimitedMaxStanzaBytes == 10_485_760)
        #expect(preset.c2s.unlimitedJIDs == [focus, jvb])
        #expect(preset.c2s.maxDepth == 100)
        #expect(preset.c2s.negotiationTimeout == .seconds(30))
        #expect(preset.c2s.advertiseVersion == false)

        #expect(preset.hosts.count == 2)
        #expect(preset.hosts[0].domain == "meet.jitsi")
        #expect(preset.hosts[0].authentication == .anonymous)
        #expect(preset.hosts[0].saslMechanisms == [.anonymous])
        #expect(preset.hosts[0].requireEncryption == nil)
        #expect(preset.hosts[1].domain == "auth.meet.jitsi")
        #expect(preset.hosts[1].authentication == .internalHashed)
        #expect(preset.hosts[1].saslMechanisms == [.scramSHA256, .scramSHA1, .plain])

        #expect(
            preset.accounts == [
                ServerConfiguration.Account(jid: focus, passwordEnvironment: "JICOFO_AUTH_PASSWORD"),
                ServerConfiguration.Account(jid: jvb, passwordEnvironment: "JVB_AUTH_PASSWORD"),
            ]
        )
        #expect(preset.admins == [focus])
        #expect(preset.muc.map(\.domain) == ["muc.meet.jitsi", "internal-muc.meet.jitsi"])
        #expect(preset.muc[0].focusLock && !preset.muc[1].focusLock && preset.muc[1].admins == [jvb])
        #expect(preset.muc[0].allowedDomains.isEmpty && preset.muc[1].allowedDomains == ["auth.meet.jitsi"])
        #expect(preset.focusProxy?.domain == "focus.meet.jitsi")
        #expect(preset == ServerConfiguration())
    }

    @Test("an empty file is the preset")
    func emptyFileIsPreset() throws {
        for yaml in ["", "# only a comment\n", "---\n"] {
            let configuration = try ConfigurationLoader.load(yaml: yaml, path: "empty.yaml", environment: [:])
            #expect(configuration == .jitsiPreset)
        }
    }

    @Test("host helpers: lookup ignores case, encryption is inherited unless the host overrides it")
    func hostHelpers() {
        var configuration = ServerConfiguration.jitsiPreset
        #expect(configuration.host(named: "AUTH.meet.jitsi")?.authentication == .internalHashed)
        #expect(configuration.host(named: "muc.meet.jitsi") == nil)
        #expect(configuration.hosts[0].requiresEncryption(inheriting: configuration.c2s) == true)
        configuration.hosts[0].requireEncryption = false
        #expect(configuration.hosts[0].requiresEncryption(inheriting: configuration.c2s) == false)
    }

    @Test("an account's description never shows a literal password")
    func accountDescriptionRedacts() throws {
        let account = ServerConfiguration.Account(jid: try JID("a@auth.meet.jitsi"), password: "hunter2")
        #expect(!"\(account)".contains("hunter2"))
        var configuration = ServerConfiguration.jitsiPreset
        configuration.accounts = [account]
        #expect(!"\(configuration)".contains("hunter2"))
    }
}

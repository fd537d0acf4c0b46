import ParleyCore
import Testing

@testable import ParleyServer

/// The `operations` section and docker-jitsi-meet's variables for it.
@Suite struct OperationsConfigurationTests {
    @Test func defaultsAreLoopbackOnlyAndPrivate() {
        let operations = ServerConfiguration.jitsiPreset.operations
        #expect(operations.metrics && operations.occupancy && !operations.occupancyIdentities)
        #expect(operations.metricsAllow.isEmpty && operations.healthAllow.isEmpty && operations.occupancyAllow.isEmpty)
        #expect(operations.brewery?.description == "jvbbrewery@internal-muc.meet.jitsi")
        #expect(operations.shard == nil && operations.region == nil && operations.release == nil)
    }

    @Test func theSectionIsRead() throws {
        let yaml = """
            operations:
              openmetrics_allow_cidr: 172.16.0.0/12
              health_allow_cidr: [10.0.0.0/8, "fd00::/8"]
              occupancy_identities: true
              shard: shard-2
              region: eu-central
              release: "1234"
              brewery: bridges@internal-muc.meet.jitsi
            """
        let outcome = ConfigurationLoader.parse(yaml: yaml, path: "t.yaml", environment: [:])
        let operations = try #require(outcome.configuration?.operations)
        #expect(operations.metricsAllow.map(\.description) == ["172.16.0.0/12"])
        #expect(operations.healthAllow.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(operations.occupancyIdentities)
        #expect(operations.shard == "shard-2" && operations.region == "eu-central" && operations.release == "1234")
        #expect(operations.brewery?.description == "bridges@internal-muc.meet.jitsi")
    }

    @Test func mistakesAreReportedWithTheirKeyPath() {
        let yaml = """
            operations:
              openmetrics_allow_cidr: [10.0.0.0/33]
              shard: "shard one"
              brewery: jvbbrewery@elsewhere.example
              metric: true
            """
        // The default accounts' password variables are unset here: those warnings are not this test's.
        let issues = ConfigurationLoader.check(yaml: yaml, path: "t.yaml", environment: [:]).filter {
            $0.keyPath.hasPrefix("operations")
        }
        #expect(
            issues.map(\.keyPath) == [
                "operations.openmetrics_allow_cidr[0]", "operations.shard", "operations.brewery", "operations.metric",
            ]
        )
        #expect(issues.allSatisfy { $0.isError })
    }

    @Test func dockerVariables() {
        let (configuration, notes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: [
                "PROSODY_ENABLE_METRICS": "true", "SHARD": "shard-7", "PROSODY_REGION_NAME": "us-east",
                "RELEASE_NUMBER": "42", "XMPP_INTERNAL_MUC_DOMAIN": "internal.auth.example.org",
                "JVB_BREWERY_MUC": "bridges",
            ]
        )
        let operations = configuration.operations
        // docker's prosody.cfg.lua: PROSODY_METRICS_ALLOWED_CIDR defaults to 172.16.0.0/12 with metrics on.
        #expect(operations.metricsAllow.map(\.description) == ["172.16.0.0/12"])
        #expect(operations.shard == "shard-7" && operations.region == "us-east" && operations.release == "42")
        #expect(operations.brewery?.description == "bridges@internal.auth.example.org")
        #expect(notes.allSatisfy { !$0.contains("PROSODY_METRICS") })

        let (explicit, explicitNotes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["PROSODY_METRICS_ALLOWED_CIDR": "10.1.0.0/16, nonsense"]
        )
        #expect(explicit.operations.metricsAllow.map(\.description) == ["10.1.0.0/16"])
        #expect(explicitNotes.contains { $0.contains("'nonsense' is not an address range") })

        let (plain, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["XMPP_DOMAIN": "meet.example.org"])
        #expect(plain.operations.metricsAllow.isEmpty && plain.operations.shard == nil)
        #expect(plain.operations.brewery?.description == "jvbbrewery@internal-muc.meet.example.org")
    }
}

/// Address ranges and the allow lists of the operator endpoints.
@Suite struct IPAllowListTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false),
        ("172.16.0.0/12", "172.31.255.255", true), ("172.16.0.0/12", "172.32.0.1", false),
        ("192.168.1.7", "192.168.1.7", true), ("192.168.1.7", "192.168.1.8", false),
        ("10.0.0.0/8", "::ffff:10.2.3.4", true), ("fd00::/8", "fd12::1", true), ("fd00::/8", "fe80::1", false),
        ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false), ("::/0", "2001:db8::1", true),
        ("10.0.0.0/8", "not an address", false),
    ])
    func ranges(range: String, address: String, inside: Bool) throws {
        let network = try #require(IPNetwork(range))
        #expect(network.contains(address) == inside)
    }

    @Test(arguments: ["", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/8/8", "host"])
    func malformedRanges(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test func bitsPastThePrefixAreCleared() {
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("2001:db8::1/32")?.description == "2001:db8::/32")
    }

    @Test func loopbackIsAlwaysAllowedAndOnlyExactly() {
        let list = IPAllowList()
        #expect(list.permits("127.0.0.1") && list.permits("::1") && list.permits("::ffff:127.0.0.1"))
        #expect(!list.permits("127.0.0.2") && !list.permits("10.0.0.1") && !list.permits(nil))
        let wider = IPAllowList([IPNetwork("127.0.0.0/8")!])
        #expect(wider.permits("127.0.0.2"))
    }
}

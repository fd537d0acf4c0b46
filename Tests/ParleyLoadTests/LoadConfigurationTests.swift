import Testing

@testable import ParleyLoad

private func problems(_ change: (inout LoadConfiguration) -> Void, scenario: LoadScenario = .join) -> [String] {
    var configuration = LoadConfiguration(scenario: scenario)
    change(&configuration)
    do {
        try configuration.validate()
        return []
    } catch let error as LoadConfigurationError {
        return error.problems
    } catch {
        return ["\(error)"]
    }
}

@Suite struct LoadConfigurationTests {
    @Test func defaultsAreValid() {
        for scenario in LoadScenario.allCases {
            #expect(problems({ _ in }, scenario: scenario) == [])
        }
    }

    /// `--room-query`: each client's WebSocket or BOSH URL names its room, as lib-jitsi-meet's does.
    @Test func roomQuery() {
        var configuration = LoadConfiguration(scenario: .join, transport: .websocket)
        configuration.roomPrefix = "shard"
        #expect(configuration.path(forRoom: 3) == "/xmpp-websocket")
        configuration.roomQuery = true
        #expect(configuration.path(forRoom: 3) == "/xmpp-websocket?room=shard3")
        configuration.path = "/http-bind?prefix=acme"
        #expect(configuration.path(forRoom: 12) == "/http-bind?prefix=acme&room=shard12")
        #expect(problems({ $0.roomQuery = true }).contains { $0.hasPrefix("--room-query") })
    }

    /// `--stall`: how long the wait for presences lasts without any arriving; bounded by the run.
    @Test func stallIsBoundedByTheRun() {
        #expect(problems({ $0.stall = 90 }, scenario: .fanout).contains { $0.hasPrefix("--stall") })
        #expect(problems({ $0.stall = 0 }, scenario: .fanout).contains { $0.hasPrefix("--stall") })
        #expect(problems({ $0.stall = .nan }, scenario: .fanout).contains { $0.hasPrefix("--stall") })
        #expect(
            problems(
                {
                    $0.duration = 480
                    $0.stall = 90
                },
                scenario: .fanout
            ) == []
        )
    }

    @Test func hardLimitsAreEnforced() {
        #expect(problems { $0.clients = 0 }.count == 1)
        #expect(problems { $0.clients = LoadConfiguration.maxClients + 1 }.count == 1)
        #expect(problems { $0.duration = 0 }.contains { $0.hasPrefix("--duration") })
        #expect(problems { $0.duration = 3601 }.count == 1)
        #expect(problems { $0.driver = .rate(0) }.count == 1)
        #expect(problems { $0.driver = .concurrency(0) }.count == 1)
        #expect(problems { $0.threads = 0 }.count == 1)
        #expect(problems { $0.ramp = 60 }.count == 1)
        #expect(problems { $0.clientTimeout = 120 }.count == 1)
    }

    @Test func scenarioOptions() {
        #expect(problems({ $0.updates = 0 }, scenario: .fanout).count == 1)
        #expect(problems({ $0.hold = 100 }, scenario: .idle).count == 1)
        #expect(problems { $0.sasl = .plain }.count == 1)
        #expect(problems { $0.focusJID = "focus@auth.meet.jitsi" }.count == 1)
        #expect(
            problems(
                {
                    $0.focusJID = "focus@auth.meet.jitsi/focus"
                    $0.focusPassword = "x"
                },
                scenario: .jitsi
            ).count == 1
        )
        #expect(
            problems(
                {
                    $0.focusJID = "focus@auth.meet.jitsi"
                    $0.focusPassword = "x"
                },
                scenario: .jitsi
            ) == []
        )
        #expect(
            problems {
                $0.engine = .raw
                $0.transport = .bosh
            }.count == 1
        )
    }

    @Test func namesGoIntoTemplatesUnescaped() {
        #expect(problems { $0.domain = "Meet.Jitsi" }.count == 1)
        #expect(problems { $0.mucDomain = "muc'x" }.count == 1)
        #expect(problems { $0.roomPrefix = "" }.count == 1)
        #expect(problems { $0.roomPrefix = "bench_1-a" } == [])
    }

    @Test func roomsOfK() {
        var configuration = LoadConfiguration(scenario: .join)
        configuration.clients = 25
        configuration.roomSize = 10
        #expect(configuration.occupants(ofRoom: 0) == 10)
        #expect(configuration.occupants(ofRoom: 2) == 5)
        configuration.scenario = .fill
        #expect(configuration.effectiveRoomSize == 25)
        #expect(configuration.resolvedFocusAddress == "focus.meet.jitsi")
    }
}

import NIOCore
import Testing

@testable import ParleyLoad

#if canImport(Glibc)
import Glibc
#endif

private func classify(_ text: String) -> String {
    Array(text.utf8).withUnsafeBytes { ErrorClassifier.condition(of: ElementView($0)) }
}

@Suite struct ErrorClassifierTests {
    @Test func stanzaErrors() {
        #expect(
            classify(
                "<presence type='error' from='r@m/n'><x xmlns='http://jabber.org/protocol/muc'/><error type='cancel'>"
                    + "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Room creation is restricted</text></error></presence>"
            )
                == "stanza:service-unavailable"
        )
        #expect(
            classify(
                "<iq type='error' id='conf'><error type='cancel'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>x</text>"
                    + "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            )
                == "stanza:item-not-found"
        )
        #expect(classify("<presence type='error'/>") == "stanza:undefined-condition")
    }

    @Test func streamAndSASLErrors() {
        #expect(
            classify(
                "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                    + "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Too many</text></stream:error>"
            )
                == "stream:policy-violation"
        )
        #expect(
            classify("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>")
                == "sasl:not-authorized"
        )
        #expect(
            classify("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><text>x</text><account-disabled/></failure>")
                == "sasl:account-disabled"
        )
        #expect(classify("<message type='chat'/>") == "protocol:unexpected-message")
    }

    @Test func transportErrors() {
        #expect(
            ErrorClassifier.condition(of: RawSocketError(errno: ECONNREFUSED, operation: "connect"), stage: "connect")
                == "connect:refused"
        )
        #expect(
            ErrorClassifier.condition(of: RawSocketError(errno: ECONNRESET, operation: "recv"), stage: "join")
                == "socket:reset"
        )
        #expect(
            ErrorClassifier.condition(of: ChannelError.connectTimeout(.seconds(1)), stage: "connect")
                == "connect:timeout"
        )
        #expect(ErrorClassifier.condition(of: ChannelError.eof, stage: "sasl") == "closed:sasl")
    }

    @Test func countsAreSortedByFrequency() {
        var counts = ErrorCounts()
        for condition in [
            "timeout:join", "stanza:conflict", "timeout:join", "connect:refused", "stanza:conflict", "timeout:join",
        ] {
            counts.record(condition)
        }
        var other = ErrorCounts()
        other.record("connect:refused")
        counts.merge(other)
        #expect(counts.total == 7)
        #expect(counts.sorted.map(\.condition) == ["timeout:join", "connect:refused", "stanza:conflict"])
    }
}

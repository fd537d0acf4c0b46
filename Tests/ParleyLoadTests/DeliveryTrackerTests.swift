import NIOCore
import ParleyTestSupport
import Testing

@testable import ParleyLoad

@Suite struct DeliveryTrackerTests {
    private func tag(of text: String) -> Int? {
        Array(text.utf8).withUnsafeBytes { DeliveryTag.value(in: ElementView($0)) }
    }

    @Test func tagIsReadWhateverTheServerWrites() {
        #expect(
            tag(
                of:
                    "<presence from='r@m/u1'><show>xa</show><load-tag xmlns='urn:parley:load'>1234</load-tag></presence>"
            ) == 1234
        )
        #expect(tag(of: #"<presence><load-tag xmlns="urn:parley:load">0</load-tag></presence>"#) == 0)
        #expect(tag(of: "<presence><p:load-tag xmlns:p='urn:parley:load'>77</p:load-tag></presence>") == 77)
    }

    @Test func malformedTagsAreNoTags() {
        #expect(tag(of: "<presence><show>xa</show></presence>") == nil)
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'/></presence>") == nil)
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'></load-tag></presence>") == nil)
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'>12a</load-tag></presence>") == nil)
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'>-1</load-tag></presence>") == nil)
        // Ten digits: more than a tag has, and never an overflow.
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'>9999999999</load-tag></presence>") == nil)
        #expect(tag(of: "<presence><load-tag xmlns='urn:parley:load'>12") == nil)
        #expect(tag(of: "urn:parley:load") == nil)
    }

    @Test func taggedUpdateCarriesItsTag() throws {
        var configuration = LoadConfiguration(scenario: .fanout, transport: .websocket)
        configuration.presence = .jitsi
        let templates = StanzaTemplates(configuration: configuration)
        try templates.check()
        for (index, payload) in templates.updatePayloads.enumerated() {
            let buffer = templates.taggedPresence(
                room: 3,
                client: 41,
                payload: payload,
                tag: 41 * 5 + index,
                allocator: ByteBufferAllocator()
            )
            let text = String(buffer: buffer)
            #expect(text.hasSuffix("</load-tag></presence>"))
            #expect(tag(of: text) == 41 * 5 + index)
        }
    }

    @Test func countsEveryDeliveryAndTimesTheLastOne() {
        // Two rooms of 3 occupants, 2 updates each: tags 0..<12, tag / 2 = sender, sender / 3 = room.
        var tracker = DeliveryTracker(updates: 12)
        tracker.sent(0, at: 1_000_000)
        tracker.received(0, at: 1_500_000)
        tracker.received(0, at: 4_000_000)
        tracker.received(0, at: 2_000_000)
        tracker.sent(1, at: 10_000_000)
        tracker.received(1, at: 11_000_000)
        tracker.received(1, at: 12_000_000)  // one receiver short
        let summary = tracker.summary { _ in 3 }
        #expect(summary.updates == 2)
        #expect(summary.complete == 1)
        #expect(summary.incomplete == 1)
        #expect(summary.duplicated == 0)
        #expect(summary.deliveries == 5)
        #expect(summary.expected == 6)
        #expect(summary.lastDelivery.count == 1)
        // 4 ms − 1 ms, to the histogram's three significant digits.
        #expect(abs(summary.lastDelivery.summary.max - 3.0) < 0.005)
        #expect(tracker.lastReceiptAt == 12_000_000)
    }

    @Test func workersMerge() {
        // The sender's worker records the send and its own echo; the other worker the other receipts.
        var sender = DeliveryTracker(updates: 4)
        var other = DeliveryTracker(updates: 4)
        sender.sent(2, at: 100_000)
        sender.received(2, at: 200_000)
        other.received(2, at: 900_000)
        other.received(2, at: 300_000)
        other.received(2, at: 400_000)
        other.received(3, at: 500_000)  // never sent: not an update of this run's summary
        sender.merge(other)
        let summary = sender.summary { _ in 4 }
        #expect(summary.updates == 1)
        #expect(summary.complete == 1)
        #expect(summary.deliveries == 4)
        #expect(abs(summary.lastDelivery.summary.max - 0.8) < 0.002)
        #expect(sender.lastReceiptAt == 900_000)
    }

    @Test func duplicatesAndStrangersAreCountedNotIndexed() {
        var tracker = DeliveryTracker(updates: 2)
        tracker.sent(0, at: 1)
        tracker.received(0, at: 5_000)
        tracker.received(0, at: 6_000)
        tracker.received(2, at: 7_000)
        tracker.received(-1, at: 7_000)
        tracker.received(Int.max, at: 7_000)
        tracker.sent(9, at: 1)
        let summary = tracker.summary { _ in 1 }
        #expect(summary.duplicated == 1)
        #expect(summary.complete == 0)
        #expect(tracker.untracked == 3)
    }

    @Test func memoryIsBounded() {
        #expect(DeliveryTracker(updates: -5).capacity == 0)
        #expect(DeliveryTracker(updates: 200_000 * 100_000).capacity == DeliveryTracker.maxUpdates)
        var empty = DeliveryTracker(updates: 0)
        empty.sent(0, at: 1)
        empty.received(0, at: 2)
        #expect(empty.summary { _ in 1 }.updates == 0)
        #expect(empty.untracked == 1)
    }

    @Test func serverCPUSplitFromProcStat() {
        // comm may hold spaces and parentheses; utime and stime are fields 14 and 15.
        let line = "4242 (my (odd) server) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 125 0 0 20 0 3 0 100 0 0"
        let split = ProcessUsage.parseCPUSplit(stat: Array(line.utf8), ticksPerSecond: 100)
        #expect(split?.user == 2.5)
        #expect(split?.system == 1.25)
        #expect(ProcessUsage.parseCPUSplit(stat: Array("4242 (x) S 1 2".utf8), ticksPerSecond: 100) == nil)
        #expect(ProcessUsage.parseCPUSplit(stat: Array("no paren".utf8), ticksPerSecond: 100) == nil)
    }
}

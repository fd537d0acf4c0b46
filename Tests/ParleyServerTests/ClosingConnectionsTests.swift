import NIOCore
import NIOEmbedded
import Testing

@testable import ParleyServer

@Suite struct DeadlineFIFOTests {
    @Test func entriesComeDueInOrderAndTheStorageIsGivenBack() throws {
        let loop = EmbeddedEventLoop()
        let channels = (0..<3).map { _ in EmbeddedChannel(loop: loop) }
        var fifo = DeadlineFIFO(delay: .seconds(2))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for (index, channel) in channels.enumerated() {
            _ = fifo.append(channel, now: start + .milliseconds(Int64(index) * 100))
        }
        #expect(fifo.count == 3)
        #expect(fifo.nextDeadline == start + .seconds(2))
        #expect(fifo.removeDue(until: start + .milliseconds(1999)).isEmpty)
        let first = fifo.removeDue(until: start + .milliseconds(2150))
        #expect(first.count == 2 && first[0] === channels[0] && first[1] === channels[1])
        #expect(fifo.nextDeadline == start + .milliseconds(2200))
        #expect(fifo.removeDue(until: start + .seconds(3)).count == 1)
        #expect(fifo.count == 0 && fifo.nextDeadline == nil)
        #expect(fifo.storageCapacity == 0, "an emptied FIFO keeps no storage")
        for channel in channels { _ = try channel.finish() }
    }

    @Test func aForgottenChannelIsReleasedAtOnce() throws {
        var fifo = DeadlineFIFO(delay: .milliseconds(150))
        let now = NIODeadline.uptimeNanoseconds(0)
        let kept = EmbeddedChannel()
        weak var released: EmbeddedChannel?
        do {
            let channel = EmbeddedChannel()
            released = channel
            let (ticket, _) = fifo.append(channel, now: now)
            _ = fifo.append(kept, now: now)
            _ = try channel.finish()
            fifo.forget(ticket)
        }
        #expect(released == nil, "the FIFO no longer holds a forgotten channel")
        #expect(fifo.count == 2, "its slot waits for the deadline")
        let due = fifo.removeDue(until: now + .seconds(1))
        #expect(due.count == 1 && due[0] === kept)
        _ = try kept.finish()
    }

    @Test func aStaleTicketChangesNothing() throws {
        var fifo = DeadlineFIFO(delay: .milliseconds(150))
        let now = NIODeadline.uptimeNanoseconds(0)
        let first = EmbeddedChannel()
        let (stale, _) = fifo.append(first, now: now)
        #expect(fifo.removeDue(until: now + .seconds(1)).count == 1)
        let second = EmbeddedChannel()
        _ = fifo.append(second, now: now + .seconds(1))
        fifo.forget(stale)
        #expect(fifo.removeDue(until: now + .seconds(2)).count == 1, "a spent ticket does not reach a later entry")
        _ = try first.finish()
        _ = try second.finish()
    }
}

@Suite struct ClosingConnectionsTests {
    @Test func lingerAndGraceCloseWithOneTimer() throws {
        let loop = EmbeddedEventLoop()
        let closers = ClosingConnections(eventLoop: loop, linger: .milliseconds(150), grace: .seconds(2))
        let lingering = EmbeddedChannel(loop: loop)
        let stuck = EmbeddedChannel(loop: loop)
        let closedByPeer = EmbeddedChannel(loop: loop)
        for channel in [lingering, stuck, closedByPeer] {
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = closers.closeAfterGrace(channel)
        }
        _ = closers.closeAfterLinger(lingering)
        _ = try closedByPeer.close().wait()

        loop.advanceTime(by: .milliseconds(100))
        #expect(lingering.isActive, "not before its linger ends")
        loop.advanceTime(by: .milliseconds(60))
        #expect(!lingering.isActive, "closed when its linger ended")
        #expect(stuck.isActive, "the grace period is not over")
        loop.advanceTime(by: .milliseconds(1820))
        #expect(stuck.isActive)
        loop.advanceTime(by: .milliseconds(30))
        #expect(!stuck.isActive, "a peer that never reads is closed after the grace period")
        #expect(closers.waiting == 0)
    }

    @Test func aBurstOfClosesIsServedTogether() throws {
        let loop = EmbeddedEventLoop()
        let closers = ClosingConnections(eventLoop: loop, linger: .milliseconds(150), grace: .seconds(2))
        var channels: [EmbeddedChannel] = []
        for _ in 0..<500 {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            _ = closers.closeAfterLinger(channel)
            channels.append(channel)
            loop.advanceTime(by: .microseconds(10))
        }
        loop.advanceTime(by: .milliseconds(150))
        #expect(channels.allSatisfy { !$0.isActive }, "closes within the slack go in one firing")
        #expect(closers.waiting == 0)
    }
}

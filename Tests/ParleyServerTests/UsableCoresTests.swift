import Testing

@testable import ParleyServer

@Suite struct UsableCoresTests {
    @Test func affinityMaskIsCounted() {
        #expect(UsableCores.affinityCount(status: "Name:\tparley\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n") == 1)
        #expect(UsableCores.affinityCount(status: "Cpus_allowed:\tff\n") == 8)
        #expect(UsableCores.affinityCount(status: "Cpus_allowed:\t00000000,0000000f\n") == 4)
    }

    @Test func unreadableStatusFallsBack() {
        #expect(UsableCores.affinityCount(status: nil) == nil)
        #expect(UsableCores.affinityCount(status: "Name:\tparley\n") == nil)
        #expect(UsableCores.affinityCount(status: "Cpus_allowed:\t0\n") == nil)
        #expect(UsableCores.count >= 1)
    }
}

@Suite struct MemoryTrimPolicyTests {
    @Test func trimsAfterADropAndOnceWhenEmpty() {
        var policy = MemoryTrimPolicy()
        // Idle from the start; a storm; a small drop (not worth a heap walk); a real drop; empty (twice); again.
        let samples = [0, 1000, 900, 700, 700, 0, 0, 0, 5, 0, 0, 0]
        let decisions = samples.map { policy.shouldTrim(sessions: $0) }
        #expect(decisions == [false, false, false, true, false, true, true, false, false, true, true, false])
    }
}

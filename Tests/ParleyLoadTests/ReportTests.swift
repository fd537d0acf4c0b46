import Testing

@testable import ParleyLoad

@Suite struct ReportTests {
    @Test func numberFormatting() {
        #expect(NumberFormat.fixed(1.005, 2) == "1.01" || NumberFormat.fixed(1.005, 2) == "1.00")
        #expect(NumberFormat.fixed(12.5, 0) == "13")
        #expect(NumberFormat.fixed(0.04, 1) == "0.0")
        #expect(NumberFormat.fixed(-2.25, 1) == "-2.3" || NumberFormat.fixed(-2.25, 1) == "-2.2")
        #expect(NumberFormat.grouped(1_234_567) == "1,234,567")
        #expect(NumberFormat.grouped(999) == "999")
        #expect(NumberFormat.rate(12_345.6) == "12,346")
        #expect(NumberFormat.rate(3.14159) == "3.14")
    }

    @Test func timerQueueRunsInDeadlineOrder() {
        var queue = TimerQueue()
        var order: [Int] = []
        queue.push(deadline: 30) { order.append(3) }
        queue.push(deadline: 10) { order.append(1) }
        queue.push(deadline: 20) { order.append(2) }
        queue.push(deadline: 10) { order.append(11) }
        #expect(queue.nextDeadline == 10)
        while let task = queue.popDue(now: 25) { task() }
        #expect(order == [1, 11, 2])
        #expect(queue.count == 1)
    }
}

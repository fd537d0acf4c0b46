/// The human-readable report `parley load` prints at the end of a run.
extension LoadReport {
    public func table() -> String {
        var lines: [String] = []
        var header =
            "parley load \(self.scenario) over \(self.transport) to \(self.target) (\(self.domain), \(self.muc))"
        header += ": \(self.clients) clients"
        if self.scenario != "login" { header += ", rooms of \(self.roomSize)" }
        switch self.driver {
        case "open": header += ", open loop at \(NumberFormat.rate(self.rate ?? 0))/s"
        default: header += ", closed loop, \(self.concurrency ?? 0) in flight"
        }
        if self.ramp > 0 { header += ", ramp \(NumberFormat.fixed(self.ramp, 1)) s" }
        header += ", presence \(self.presence) (\(self.presenceBytes) B)"
        if let acks = self.streamManagementAcks { header += ", XEP-0198 on (\(acks) acks sent)" }
        lines.append(header)
        lines.append("")
        let columns = [
            "phase", "done", "failed", "seconds", "per s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
            "gen µs/op (user+sys)", "srv CPU s", "per srv CPU-s",
        ]
        var rows: [[String]] = [columns]
        for phase in self.phases {
            rows.append([
                phase.name, NumberFormat.grouped(phase.operations), NumberFormat.grouped(phase.failed),
                NumberFormat.fixed(phase.seconds, 2), NumberFormat.rate(phase.rate),
                NumberFormat.milliseconds(phase.latency.p50), NumberFormat.milliseconds(phase.latency.p90),
                NumberFormat.milliseconds(phase.latency.p99), NumberFormat.milliseconds(phase.latency.p999),
                NumberFormat.milliseconds(phase.latency.max),
                NumberFormat.fixed(phase.generatorMicrosecondsPerOperation, 1) + " ("
                    + NumberFormat.fixed(phase.generatorUserMicrosecondsPerOperation, 0) + "+"
                    + NumberFormat.fixed(phase.generatorSystemMicrosecondsPerOperation, 0) + ")",
                phase.serverCPUSeconds.map { NumberFormat.fixed($0, 3) } ?? "-",
                phase.operationsPerServerCPUSecond.map(NumberFormat.rate) ?? "-",
            ])
        }
        var widths = [Int](repeating: 0, count: columns.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            lines.append(
                row.enumerated().map { NumberFormat.padded($1, widths[$0], right: $0 > 0) }.joined(separator: "  ")
            )
        }
        lines.append("")
        for phase in self.phases {
            if let session = phase.sessionLatency, session.count > 0 {
                lines.append(
                    "\(phase.name): start → done p50 \(NumberFormat.milliseconds(session.p50)) ms, "
                        + "p99 \(NumberFormat.milliseconds(session.p99)) ms"
                        + (phase.loginLatency.map {
                            "; login p50 \(NumberFormat.milliseconds($0.p50)) ms, p99 \(NumberFormat.milliseconds($0.p99)) ms"
                        } ?? "")
                )
            }
            if let deliveries = phase.deliveries {
                var line = "\(phase.name): \(NumberFormat.grouped(deliveries)) presences delivered"
                if let expected = phase.expectedDeliveries { line += " of \(NumberFormat.grouped(expected)) expected" }
                if let perSecond = phase.deliveriesPerSecond { line += ", \(NumberFormat.rate(perSecond))/s" }
                if let perCPU = phase.deliveriesPerServerCPUSecond {
                    line += ", \(NumberFormat.rate(perCPU)) per server CPU-second"
                }
                lines.append(line)
            }
            if let tracked = phase.updatesTracked, let last = phase.lastDeliveryLatency {
                var line = "\(phase.name): \(NumberFormat.grouped(tracked)) updates tracked, "
                line += "\(NumberFormat.grouped(phase.updatesComplete ?? 0)) reached every receiver"
                if let missed = phase.updatesIncomplete, missed > 0 {
                    line += ", \(NumberFormat.grouped(missed)) did not"
                }
                if let duplicated = phase.updatesDuplicated, duplicated > 0 {
                    line += ", \(NumberFormat.grouped(duplicated)) arrived twice somewhere"
                }
                line += "; update → last delivery p50 \(NumberFormat.milliseconds(last.p50)) ms, "
                line += "p99 \(NumberFormat.milliseconds(last.p99)) ms, max \(NumberFormat.milliseconds(last.max)) ms"
                lines.append(line)
            }
            if let user = phase.serverUserMicrosecondsPerOperation,
                let system = phase.serverSystemMicrosecondsPerOperation
            {
                lines.append(
                    "\(phase.name): server CPU per operation \(NumberFormat.fixed(user, 1)) µs user + "
                        + "\(NumberFormat.fixed(system, 1)) µs system (/proc/<pid>/stat)"
                )
            }
        }
        lines.append(
            "generator: \(NumberFormat.fixed(self.generatorCPUSeconds, 3)) CPU s, peak RSS \(self.generatorPeakRSSKib / 1024) MiB, "
                + "\(self.threads) thread(s)" + (self.engine.map { ", engine \($0)" } ?? "")
        )
        if let server = self.server {
            var line = "server pid \(server.pid): \(NumberFormat.fixed(server.cpuSeconds, 3)) CPU s; RSS before "
            line +=
                "\(server.rssBeforeKib / 1024) MiB, joined \(server.rssJoinedKib / 1024) MiB, peak \(server.rssPeakKib / 1024) MiB, "
            line += "after \(server.rssAfterKib / 1024) MiB"
            if let perSession = server.bytesPerSession {
                line += "; \(NumberFormat.grouped(Int(perSession.rounded()))) B per session"
            }
            lines.append(line)
        }
        if self.notStarted > 0 {
            lines.append("not started (time limit): \(NumberFormat.grouped(self.notStarted))")
        }
        if self.errors.isEmpty {
            lines.append("errors: none")
        } else {
            let sorted = self.errors.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            lines.append("errors: " + sorted.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        lines.append(self.ok ? "result: every client completed" : "result: INCOMPLETE")
        return lines.joined(separator: "\n")
    }
}

import NIOCore
import NIOPosix

/// What `parley drain` does: one HTTP/1.1 request to a running server's `/shard-status` on its web listener (it
/// must come from loopback), and the answer's status code and body.
public enum ShardStatusClient {
    public struct Answer: Sendable {
        public var status: Int
        public var body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// GETs the state, or POSTs `state` when given. Fails when the server cannot be reached within 5 seconds or
    /// answers something that is not HTTP.
    public static func send(_ state: ShardState?, host: String, port: Int) throws -> Answer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let collected = group.next().makePromise(of: ByteBuffer.self)
        let body = state.map { $0.rawValue + "\n" } ?? ""
        let request =
            "\(state == nil ? "GET" : "POST") /shard-status HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
            + "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let channel = try ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: collected))
                }
            }
            .connect(host: host, port: port)
            .wait()
        channel.writeAndFlush(channel.allocator.buffer(string: request), promise: nil)
        group.next().scheduleTask(in: .seconds(5)) {
            collected.fail(Failure(description: "no answer from \(host):\(port) within 5 seconds"))
            channel.close(promise: nil)
        }
        var response = try collected.futureResult.wait()
        let text = response.readString(length: response.readableBytes) ?? ""
        guard text.hasPrefix("HTTP/1."), let code = Int(text.dropFirst(9).prefix(3)) else {
            throw Failure(description: "\(host):\(port) did not answer HTTP")
        }
        let answerBody = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return Answer(status: code, body: answerBody)
    }

    /// Gathers everything until the server closes (the request asked for `Connection: close`).
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<ByteBuffer>
        var received = ByteBuffer()

        init(promise: EventLoopPromise<ByteBuffer>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = self.unwrapInboundIn(data)
            guard self.received.readableBytes + chunk.readableBytes <= 64 * 1024 else {
                self.promise.fail(Failure(description: "the answer is too large"))
                context.close(promise: nil)
                return
            }
            self.received.writeBuffer(&chunk)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.promise.succeed(self.received)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.promise.fail(error)
            context.close(promise: nil)
        }
    }
}

/// Opens a client's connection(s) on the worker's loop: `ClientConnector` with NIO, `RawConnector` with the raw
/// loop.
protocol ClientConnecting: AnyObject {
    func connect(_ client: LoadClient)
}

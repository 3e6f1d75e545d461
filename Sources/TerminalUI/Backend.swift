/// Where frames go and input comes from: ncurses for people, memory for tests.
public protocol TerminalBackend: AnyObject {
    var size: (width: Int, height: Int) { get }
    /// Shows a whole frame (backends send only what changed).
    func draw(_ buffer: CellBuffer)
    /// Next input event, waiting at most `milliseconds`; nil on timeout.
    func nextEvent(timeout milliseconds: Int) -> InputEvent?
    /// Gives the terminal back (for `$EDITOR`), then takes it again.
    func suspend()
    func resume()
    func stop()
    /// Bytes that are not a frame (a bell, a notification sequence), sent as they are.
    func send(_ bytes: [UInt8])
}

/// A terminal in memory: tests queue input and read the last frame.
public final class MemoryBackend: TerminalBackend {
    public private(set) var size: (width: Int, height: Int)
    public private(set) var frame: CellBuffer
    public private(set) var framesDrawn = 0
    public var queuedEvents: [InputEvent] = []

    public init(width: Int, height: Int) {
        size = (width, height)
        frame = CellBuffer(width: width, height: height)
    }

    public func resize(width: Int, height: Int) {
        size = (width, height)
        queuedEvents.append(.resize(width: width, height: height))
    }

    public func draw(_ buffer: CellBuffer) {
        frame = buffer
        framesDrawn += 1
    }

    public func nextEvent(timeout milliseconds: Int) -> InputEvent? {
        queuedEvents.isEmpty ? nil : queuedEvents.removeFirst()
    }

    /// What was sent outside frames, for tests.
    public private(set) var sentBytes: [UInt8] = []

    public func send(_ bytes: [UInt8]) { sentBytes += bytes }

    public func suspend() {}
    public func resume() {}
    public func stop() {}
}

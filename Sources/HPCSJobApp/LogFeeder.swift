import Foundation

/// Feeds log bytes to the view a bounded amount per frame, so the
/// keyboard stays responsive however fast the log arrives: keys first,
/// then at most `budget` of log work; the rest waits for the next frame.
/// A backlog beyond `limit` is skipped in the view (the full log is in the
/// local file), with a line saying so. Each chunk keeps the ticket of the
/// job it is from: after re-attaching, the update drops the old job's.
struct LogFeeder {
    private var queue: [(ticket: Ticket, data: Data)] = []
    private var head = 0
    private(set) var queuedBytes = 0
    let chunkSize = 128 * 1024
    let limit = 32 << 20

    var isEmpty: Bool { head == queue.count }

    mutating func enqueue(_ data: Data, ticket: Ticket) {
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = min(data.endIndex, offset + chunkSize)
            queue.append((ticket, data[offset..<end]))
            offset = end
        }
        queuedBytes += data.count
        if queuedBytes > limit { skipBacklog() }
    }

    private mutating func skipBacklog() {
        var skipped = 0
        var ticket = queue[head].ticket
        while queuedBytes > limit / 2, head < queue.count {
            ticket = queue[head].ticket
            skipped += queue[head].data.count
            queuedBytes -= queue[head].data.count
            head += 1
        }
        let note = "\n[hpcs-job view] \(skipped) bytes not shown here (the log arrives faster than it can be drawn; "
            + "all of it is in the local log file)\n"
        queue.insert((ticket, Data(note.utf8)), at: head)
    }

    /// Applies queued log chunks until the budget is spent; true if any was.
    mutating func feed(_ state: inout AppState, budget: Duration) -> Bool {
        guard !isEmpty else { return false }
        let start = ContinuousClock.now
        repeat {
            let chunk = queue[head]
            head += 1
            queuedBytes -= chunk.data.count
            _ = Update.update(&state, .monitor(chunk.ticket, .logBytes(chunk.data)))
        } while !isEmpty && ContinuousClock.now - start < budget
        if head > 1024 || isEmpty {
            queue.removeFirst(head)
            head = 0
        }
        return true
    }
}

/// A reply answers one request: the update stamps each request with a
/// ticket, the effect hands it back with its reply, and one prologue in
/// `Update` drops a reply whose ticket is no longer the current one of its
/// slot. Effects run concurrently, so an older request can answer last; and
/// a reply about job A must never change what is shown of job B.
public struct Ticket: Hashable, Sendable {
    public let slot: Slot
    public let number: Int

    /// What an effect carries until the update stamps it.
    public static func unissued(_ slot: Slot) -> Ticket { Ticket(slot: slot, number: 0) }

    /// What a ticket is about: each slot has one current request.
    public enum Slot: Hashable, Sendable {
        /// The Info files folder listing.
        case listing
        /// One info file slot's pick.
        case info(InfoRole)
        /// The checksums of both picks (a new pick makes it stale too).
        case verify
        /// The preview's render.
        case render
        /// The cluster's partitions, accounts, nodes and tools line.
        case choices
        /// The Monitor's job: its status, log, earlier lines and results.
        case monitor
        /// The Jobs view's list.
        case jobs
        /// A job opened from the Jobs view.
        case openJob
    }
}

/// One monotonic counter for every slot: a number is never issued twice.
public struct Tickets: Sendable, Equatable {
    private var latest: [Ticket.Slot: Int] = [:]
    private var counter = 0

    public init() {}

    /// A new request in `slot`: every earlier one of it becomes stale.
    public mutating func issue(_ slot: Ticket.Slot) -> Ticket {
        counter += 1
        latest[slot] = counter
        return Ticket(slot: slot, number: counter)
    }

    /// Makes the slot's pending request stale without a new one.
    public mutating func invalidate(_ slot: Ticket.Slot) { _ = issue(slot) }

    /// The slot's current ticket, for requests that belong to it (earlier
    /// lines of the Monitor's log) without replacing it.
    public func current(_ slot: Ticket.Slot) -> Ticket { Ticket(slot: slot, number: latest[slot] ?? 0) }

    public func isCurrent(_ ticket: Ticket) -> Bool { latest[ticket.slot] == ticket.number && ticket.number != 0 }
}

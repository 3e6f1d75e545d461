import Foundation
import JobPreparation
import SecureShell

/// Why an effect failed, its kind kept up to the screen: a lost connection
/// stays a connection error (not "submission failed: …"), a cluster with no
/// connection stays that, and the screen decides by kind, never by text.
public enum EffectFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case preparation(PreparationError)
    case connection(SSHError)
    case notOpen(ClusterID)
    case other(String)

    /// `fallback` names what was being done, for errors of no known kind.
    init(_ error: any Error, else fallback: (String) -> PreparationError) {
        switch error {
        case let error as PreparationError: self = .preparation(error)
        case let error as SSHError: self = .connection(error)
        case let error as NotOpen: self = error.cluster.map(EffectFailure.notOpen) ?? .other("\(error)")
        default: self = .preparation(fallback("\(error)"))
        }
    }

    public var description: String {
        switch self {
        case let .preparation(error): "\(error)"
        case let .connection(error): "the connection was lost: \(error)"
        case let .notOpen(cluster): "\(NotOpen(cluster: cluster))"
        case let .other(text): text
        }
    }

    /// The preparation step that refused, when it was one.
    var kind: PreparationError.Kind? {
        if case let .preparation(error) = self { return error.kind }
        return nil
    }

    /// Nothing the user typed or picked is wrong: the cluster was not reachable.
    var isConnection: Bool {
        switch self {
        case .connection, .notOpen: true
        default: false
        }
    }
}

import Foundation
import JobPreparation
import JobRuntime
import SecureShell
import Slurm

/// The wizard's remote effects: each on the cluster the update named.
extension EffectRunner {
    func runWizard(_ effect: Effect) async {
        switch effect {
        case let .list(path, cluster, ticket):
            do {
                send(.listed(ticket, path: path, .success(try await host(cluster).list(path))))
            } catch {
                send(.listed(ticket, path: path, .failure(error as? SSHError ?? .disconnected("\(error)"))))
            }
        case let .fetchInfo(role, path, trust, cluster, ticket):
            do {
                let fetched = try await InfoFetcher.fetch(path, from: try await host(cluster), trustDomain: trust)
                send(.infoFetched(ticket, role, path: path, .success(fetched)))
            } catch {
                send(.infoFetched(ticket, role, path: path, .failure(EffectFailure(error) { PreparationError(.infoFile, file: path, $0) })))
            }
        case let .verify(infos, cluster, ticket):
            do {
                try await InfoFetcher.verifyChecksums(infos, on: try await host(cluster)) { [send] done, total in
                    send(.checksumProgress(done: done, total: total))
                }
                send(.verified(ticket, .success(())))
            } catch {
                send(.verified(ticket, .failure(EffectFailure(error) { PreparationError(.verification, $0) })))
            }
        case let .loadClusterChoices(user, cluster, ticket):
            await loadClusterChoices(user: user, on: cluster, ticket: ticket)
        case let .prepare(request, cluster, ticket):
            guard let submitter else { return send(.failed("the history database is not available")) }
            guard let cluster else { return send(.failed("\(NotOpen(cluster: nil)): connect first")) }
            do {
                send(.prepared(ticket, on: cluster, .success(try await submitter.prepare(request, on: try await host(cluster), dryRun: true))))
            } catch {
                send(.prepared(ticket, on: cluster, .failure(EffectFailure(error) { PreparationError(.submission, $0) })))
            }
        case let .submit(prepared, edited, cluster):
            guard let submitter else { return send(.failed("the history database is not available")) }
            do {
                let record = try await submitter.submit(prepared, editedSbatch: edited, on: try await host(cluster)) { [send] event in
                    if case let .step(text) = event { send(.submitProgress(text)) }
                }
                send(.submitted(.success(record)))
            } catch {
                send(.submitted(.failure(EffectFailure(error) { PreparationError(.submission, $0) })))
            }
        default: break
        }
    }

    private func loadClusterChoices(user: String?, on cluster: ClusterID?, ticket: Ticket) async {
        send(.templates(templates.names()))
        guard let ssh = try? await host(cluster) else { return }
        let partitions = (try? await ssh.run(SlurmCommand.sinfoPartitions)).flatMap { try? SlurmParser.partitions($0.stdoutText) } ?? []
        let nodes = (try? await ssh.run(SlurmCommand.sinfoNodes)).flatMap { try? SlurmParser.nodes($0.stdoutText) } ?? []
        var accounts: [String] = []
        if let user { accounts = (try? await ssh.run(SlurmCommand.associations(user: user))).map { SlurmParser.accounts($0.stdoutText) } ?? [] }
        send(.clusterChoices(ticket, partitions: partitions, accounts: accounts, nodes: nodes))
        // What a job from here would lack, so Options can say so before a job fails at step 2.
        let pinned = (try? ToolManifest.load(paths, cluster: ssh.settings)) ?? nil
        if let reports = try? await ToolPinner(host: ssh).status(pinned) {
            send(.toolsMissing(ticket, ToolLookup.missing(reports)))
        }
    }
}

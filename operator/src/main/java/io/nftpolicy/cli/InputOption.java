package io.nftpolicy.cli;

import picocli.CommandLine.Option;

/** The snapshot a command reads, shared by the commands that take compile's input (a picocli mixin). */
final class InputOption {
    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "Namespaces, pods and policies: the output of 'kubectl get namespaces,pods,networkpolicies "
                    + "-A -o yaml', or YAML/JSON documents of such objects; - reads standard input.")
    String file;
}

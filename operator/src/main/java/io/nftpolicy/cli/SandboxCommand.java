package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.NftRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy sandbox}: builds the snapshot's pods as network namespaces on this machine, loads each node's
 * compiled ruleset, and measures who reaches whom.
 */
@Command(
        name = "sandbox",
        mixinStandardHelpOptions = true,
        description = {"Try a snapshot's policies on a real kernel: its pods become network namespaces on this "
                + "machine, wired into nodes, each node loads its compiled ruleset, and every pod probes every pod.",
                "Prints one from/to table per endpoint and address family ('.' connected, 'X' blocked); -o json or "
                        + "yaml print {cells: [{protocol, port, family, from, to, connected}], differences}. "
                        + "Needs root, nft and ip. Everything it creates is removed on exit, Ctrl-C included."})
final class SandboxCommand implements Callable<Integer> {
    /** The programs the lab runs, and the Debian package of each. */
    private static final List<Map.Entry<String, String>> TOOLS =
            List.of(Map.entry("nft", "nftables"), Map.entry("ip", "iproute2"));
    private static final Pattern PARSE_LINE = Pattern.compile("^line (\\d+): (.*)$", Pattern.DOTALL);

    private final Main.Context context;

    @Spec
    CommandSpec spec;

    @Mixin
    InputOption input;

    @Option(names = {"-e", "--expect"}, paramLabel = "FILE",
            description = "Expected tables, in the printed format; cells marked '-' (or left out) are not compared. "
                    + "Exit status 1 when a cell differs.")
    Path expect;

    @Option(names = "--timeout-ms", paramLabel = "N", defaultValue = "500",
            description = "How long a probe waits before calling a destination blocked (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Option(names = "--ports", paramLabel = "PROTO/PORT", split = ",", converter = EndpointConverter.class,
            description = "More endpoints every pod serves and is probed on, e.g. TCP/80,UDP/53. "
                    + "By default pods serve their container ports and are probed on all of them.")
    List<Endpoint> extraEndpoints = new ArrayList<>();

    @Mixin
    OutputOptions output;

    SandboxCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        NumberOptions.positive(spec, "--timeout-ms", timeoutMillis);
        OutputFormat format = output.format(OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML);
        PrintWriter err = spec.commandLine().getErr();
        checkHost();

        ClusterSnapshot snapshot = SnapshotInput.load(input.file, context.stdin(), err).snapshot();
        Reachability expected = expect == null ? null : readExpectation(expect);

        List<Pod> pods = participants(snapshot, err);
        List<Endpoint> endpoints = endpoints(pods, err);
        List<LabPod> labPods = pods.stream().map(this::labPod).toList();
        Set<String> nodes = pods.stream().map(Pod::nodeName).collect(Collectors.toCollection(TreeSet::new));
        LabOptions options = LabOptions.defaults().withProbeTimeout(Duration.ofMillis(timeoutMillis));

        Reachability measured;
        // Lab also closes itself from a shutdown hook, so Ctrl-C leaves no namespaces behind either.
        try (Lab lab = Lab.start(labPods, options)) {
            Set<String> diagnostics = new LinkedHashSet<>(); // each node's compilation repeats them
            PolicyCompiler compiler = new PolicyCompiler();
            for (String node : nodes) {
                Compilation compilation = compiler.compile(snapshot, node);
                compilation.diagnostics().stream().map(Diagnostic::format).filter(diagnostics::add)
                        .forEach(d -> Messages.warning(err, d));
                try {
                    lab.load(node, NftRenderer.render(compilation.ruleset()));
                } catch (LabException e) {
                    throw new UserException("node " + node + ": the kernel refused the compiled ruleset (a bug in "
                            + "nftpolicy; 'nftpolicy compile --node " + node + " | nft -c -f -' shows it): "
                            + e.getMessage(), e);
                }
            }
            measured = lab.probe(endpoints);
        } catch (LabException e) {
            throw new UserException("sandbox: " + e.getMessage(), e);
        }

        List<String> differences = expected == null ? List.of() : measured.differences(expected);
        if (format == OutputFormat.TEXT) {
            StringBuilder text = new StringBuilder(measured.render());
            if (!differences.isEmpty()) {
                text.append('\n').append(differences.size())
                        .append(differences.size() == 1 ? " cell differs" : " cells differ")
                        .append(" from ").append(expect).append(":\n");
                differences.forEach(d -> text.append("  ").append(d).append('\n'));
            }
            output.print(text.toString());
        } else {
            output.print(document(measured, differences), format);
        }
        if (expected == null) {
            return ExitCodes.OK;
        }
        if (differences.isEmpty()) {
            Messages.note(err, "all " + expected.cells().size() + " cells of " + expect + " agree");
            return ExitCodes.OK;
        }
        return ExitCodes.DIFFERENT;
    }

    private void checkHost() throws UserException {
        if (!context.host().isRoot()) {
            throw new UserException("sandbox must run as root: it creates network namespaces and loads nftables "
                    + "rulesets (try: sudo nftpolicy sandbox ...)");
        }
        for (Map.Entry<String, String> tool : TOOLS) {
            if (context.host().findProgram(tool.getKey()).isEmpty()) {
                throw new UserException(tool.getKey() + " not found on PATH: install the " + tool.getValue()
                        + " package (apt-get install " + tool.getValue() + ", or bin/setup)");
            }
        }
    }

    private static Reachability readExpectation(Path file) throws UserException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserException(file + ": " + OutputOptions.describe(e), e);
        }
        try {
            return Reachability.parse(text);
        } catch (IllegalArgumentException e) {
            Matcher line = PARSE_LINE.matcher(String.valueOf(e.getMessage()));
            throw new UserException(line.matches()
                    ? file + ":" + line.group(1) + ": " + line.group(2)
                    : file + ": " + e.getMessage(), e);
        }
    }

    /** Pods that get a namespace: running or pending with an address on a node, not hostNetwork. */
    private static List<Pod> participants(ClusterSnapshot snapshot, PrintWriter err) throws UserException {
        List<Pod> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        for (Pod pod : snapshot.pods()) {
            if (pod.participates() && !pod.ips().isEmpty() && !pod.nodeName().isEmpty()) {
                in.add(pod);
            } else {
                out.add(pod.ref());
            }
        }
        if (!out.isEmpty()) {
            Messages.note(err, "not in the sandbox (hostNetwork, finished, unscheduled or without an "
                    + "address): " + String.join(", ", out));
        }
        if (in.isEmpty()) {
            throw new UserException("no pod of the snapshot can take part in the sandbox: none has an address on a "
                    + "node (status.podIP, spec.nodeName) without being hostNetwork or finished");
        }
        return in;
    }

    /** Every container port of the lab's pods, plus --ports; SCTP is left out, the kernel here has none. */
    private List<Endpoint> endpoints(List<Pod> pods, PrintWriter err) throws UserException {
        Set<Endpoint> endpoints = new TreeSet<>(Comparator.comparing(Endpoint::protocol).thenComparing(Endpoint::port));
        pods.forEach(p -> p.ports().stream().filter(SandboxCommand::valid).forEach(port -> endpoints.add(endpoint(port))));
        endpoints.addAll(extraEndpoints);
        List<String> sctp = endpoints.stream().filter(e -> e.protocol() == Protocol.SCTP).map(Endpoint::label).toList();
        if (!sctp.isEmpty()) {
            Messages.note(err, "not probed, the kernel has no SCTP: " + String.join(", ", sctp));
        }
        List<Endpoint> probed = endpoints.stream().filter(e -> e.protocol() != Protocol.SCTP).toList();
        if (probed.isEmpty()) {
            throw new UserException("nothing to probe: the pods declare no TCP or UDP container ports; "
                    + "name some with --ports, e.g. --ports TCP/80,UDP/53");
        }
        return probed;
    }

    private LabPod labPod(Pod pod) {
        Set<Endpoint> serves = new LinkedHashSet<>();
        pod.ports().stream().filter(SandboxCommand::valid).forEach(port -> serves.add(endpoint(port)));
        serves.addAll(extraEndpoints);
        serves.removeIf(e -> e.protocol() == Protocol.SCTP);
        return new LabPod(pod.ref(), pod.nodeName(), pod.ips(), List.copyOf(serves));
    }

    /** Container ports outside 1-65535 are invalid in the API; the compiler reports them, the lab cannot serve them. */
    private static boolean valid(ContainerPort port) {
        return port.port() >= 1 && port.port() <= 65535;
    }

    private static Endpoint endpoint(ContainerPort port) {
        return new Endpoint(port.protocol(), port.port());
    }

    /** {@code {"cells": [{protocol, port, family, from, to, connected}], "differences"?: [...]}}, in the tables' order. */
    private ObjectNode document(Reachability measured, List<String> differences) {
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        ArrayNode cells = document.putArray("cells");
        measured.cells().forEach((cell, connected) -> cells.addObject()
                .put("protocol", cell.endpoint().protocol().name())
                .put("port", cell.endpoint().port())
                .put("family", cell.family() == io.nftpolicy.net.IpFamily.IPV4 ? "IPv4" : "IPv6")
                .put("from", cell.from())
                .put("to", cell.to())
                .put("connected", connected));
        if (expect != null) {
            differences.forEach(document.putArray("differences")::add);
        }
        return document;
    }
}

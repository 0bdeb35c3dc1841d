package io.nftpolicy.cli;

import io.nftpolicy.snapshot.KubernetesObjects;
import io.nftpolicy.snapshot.SnapshotConverter;
import io.nftpolicy.snapshot.SnapshotConverter.Conversion;
import io.nftpolicy.snapshot.SnapshotException;
import io.nftpolicy.snapshot.SnapshotReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;

/** Reads the --input of a command and converts it, printing what was skipped as warnings. */
final class SnapshotInput {
    static final String STDIN = "-";

    private SnapshotInput() {}

    static Conversion load(String input, InputStream stdin, PrintWriter err) throws UserException {
        SnapshotReader reader = new SnapshotReader();
        KubernetesObjects objects;
        try {
            if (STDIN.equals(input)) {
                byte[] content;
                try {
                    content = stdin.readAllBytes();
                } catch (IOException e) {
                    throw new UserException("cannot read standard input: " + e.getMessage(), e);
                }
                objects = reader.read("<stdin>", content);
            } else {
                objects = reader.read(Path.of(input));
            }
        } catch (SnapshotException e) {
            throw new UserException(e.getMessage(), e);
        }
        objects.warnings().forEach(w -> Messages.warning(err, w));
        Conversion converted = new SnapshotConverter().convert(objects.namespaces(), objects.pods(), objects.policies());
        Conversion conversion = new Conversion(converted.snapshot().withTiers(objects.tiers().clusterPolicies(),
                objects.tiers().nodes()), converted.diagnostics());
        conversion.diagnostics().forEach(d -> Messages.warning(err, d.format()));
        return conversion;
    }
}

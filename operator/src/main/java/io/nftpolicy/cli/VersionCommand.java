package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.nftpolicy.agent.metrics.BuildInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;

/** {@code nftpolicy version}. */
@Command(name = "version", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
        description = {"Print the version of nftpolicy.", "-o text (default), json or yaml: {\"version\": \"0.1.0\"}."})
final class VersionCommand implements Callable<Integer> {
    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws UserException {
        OutputFormat format = output.format(OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML);
        if (format == OutputFormat.TEXT) {
            output.print(version() + "\n");
        } else {
            output.print(JsonNodeFactory.instance.objectNode().put("version", number()), format);
        }
        return ExitCodes.OK;
    }

    /** {@code nftpolicy <version>}; the version is the Maven project's, filtered into a resource at build time. */
    static String version() {
        return "nftpolicy " + number();
    }

    /** The Maven project's version, or "(unknown version)" when the classes were not built by Maven. */
    static String number() {
        BuildInfo build = BuildInfo.current();
        return build.version().isEmpty() ? "(unknown version)" : build.version();
    }

    /** Serves {@code nftpolicy --version}. */
    static final class Provider implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {version()};
        }
    }
}

package io.nftpolicy.cli;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.reachability.Endpoint;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads one endpoint, {@code TCP/80} (protocol case-insensitive; a bare number is TCP). */
final class EndpointConverter implements ITypeConverter<Endpoint> {
    @Override
    public Endpoint convert(String value) {
        String text = value.strip();
        int slash = text.indexOf('/');
        String protocolName = slash < 0 ? "TCP" : text.substring(0, slash).toUpperCase(Locale.ROOT);
        String portText = slash < 0 ? text : text.substring(slash + 1);
        Protocol protocol = Protocol.fromKubernetes(protocolName).orElseThrow(() -> new TypeConversionException(
                "'" + text + "': protocol must be TCP, UDP or SCTP"));
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "': port must be a number");
        }
        if (port < 1 || port > 65535) {
            throw new TypeConversionException("'" + text + "': port must be 1-65535");
        }
        return new Endpoint(protocol, port);
    }
}

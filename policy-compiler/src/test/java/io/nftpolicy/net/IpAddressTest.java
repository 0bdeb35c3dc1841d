package io.nftpolicy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressTest {

    @Test
    void parsesADottedQuadIntoItsNumber() {
        IpAddress a = IpAddress.parse("10.1.2.3");

        assertThat(a.family()).isEqualTo(IpFamily.IPV4);
        assertThat(a.value()).isEqualTo(BigInteger.valueOf(0x0A010203L));
    }

    @Test
    void parsesTheHighestIpv4Address() {
        IpAddress a = IpAddress.parse("255.255.255.255");

        assertThat(a.value()).isEqualTo(BigInteger.valueOf(0xFFFFFFFFL));
        assertThat(a.isMax()).isTrue();
    }

    @Test
    void parsesCompressedIpv6() {
        IpAddress a = IpAddress.parse("2001:db8::1");

        assertThat(a.family()).isEqualTo(IpFamily.IPV6);
        assertThat(a.value()).isEqualTo(new BigInteger("20010db8000000000000000000000001", 16));
    }

    @Test
    void compressedAndFullIpv6SpellingsAreTheSameAddress() {
        assertThat(IpAddress.parse("2001:0db8:0000:0000:0000:0000:0000:0001"))
                .isEqualTo(IpAddress.parse("2001:db8::1"));
    }

    @Test
    void ipv6HexDigitsAreCaseInsensitive() {
        assertThat(IpAddress.parse("FE80::ABCD")).isEqualTo(IpAddress.parse("fe80::abcd"));
    }

    @Test
    void anIpv4MappedIpv6LiteralStaysIpv6() {
        IpAddress a = IpAddress.parse("::ffff:10.0.0.1");

        assertThat(a.family()).isEqualTo(IpFamily.IPV6);
        assertThat(a.value()).isEqualTo(new BigInteger("ffff0a000001", 16));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "example.com", "garbage", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.256.1.1",
            "999.999.999.999", "1.2.3.-4", " 1.2.3.4", "1.2.3.4 ", "1::2::3", "12345::1", "2001:db8::g", "fe80::1%eth0",
            "fe80::1%1", "[::1]", ":::", "1.2.3.4:80", "0x0a.0.0.1", "0010.0.0.1", "::ffff:010.0.0.1"})
    void rejectsTextThatIsNotALiteralAddressAndNamesIt(String text) {
        assertThatThrownBy(() -> IpAddress.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }

    /** The API server reads such octets as decimal and stores them unless its alpha gate StrictIPCIDRValidation is on. */
    @Test
    void anIpv4OctetWithLeadingZerosIsDecimalAsTheApiServerReadsIt() {
        assertThat(IpAddress.parse("010.001.000.009")).isEqualTo(IpAddress.parse("10.1.0.9"));
    }

    @Test
    void anIpv4CompatibleIpv6LiteralIsTheIpv6AddressItSpells() {
        assertThat(IpAddress.parse("::1.2.3.4")).returns(IpFamily.IPV6, IpAddress::family).hasToString("::102:304");
    }

    @Test
    void anIpv4MappedIpv6AddressPrintsAsIpv6() {
        assertThat(IpAddress.parse("::ffff:10.0.0.1")).hasToString("::ffff:a00:1");
    }

    @Test
    void rejectsEmptyText() {
        assertThatThrownBy(() -> IpAddress.parse("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> IpAddress.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsANumberTooLargeForItsFamily() {
        assertThatThrownBy(() -> new IpAddress(IpFamily.IPV4, BigInteger.ONE.shiftLeft(32)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsANegativeNumber() {
        assertThatThrownBy(() -> new IpAddress(IpFamily.IPV6, BigInteger.valueOf(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0} prints as {1}")
    @CsvSource({
            "0.0.0.0, 0.0.0.0",
            "10.0.0.1, 10.0.0.1",
            "255.255.255.255, 255.255.255.255",
            "192.168.100.200, 192.168.100.200",
    })
    void printsIpv4AsADottedQuad(String text, String canonical) {
        assertThat(IpAddress.parse(text)).hasToString(canonical);
    }

    @ParameterizedTest(name = "{0} prints as {1}")
    @CsvSource({
            "0:0:0:0:0:0:0:0, ::",
            "::, ::",
            "0:0:0:0:0:0:0:1, ::1",
            "fe80:0:0:0:0:0:0:1, fe80::1",
            "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",
            "2001:DB8::A, 2001:db8::a",
            "1:0:0:0:0:0:0:0, 1::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    })
    void printsIpv6CompressedPerRfc5952(String text, String canonical) {
        assertThat(IpAddress.parse(text)).hasToString(canonical);
    }

    @Test
    void leadingZerosOfAGroupAreDropped() {
        assertThat(IpAddress.parse("2001:0db8:00a0:0001:0000:0000:0000:0010")).hasToString("2001:db8:a0:1::10");
    }

    @Test
    void aSingleZeroGroupIsNotCompressed() {
        assertThat(IpAddress.parse("2001:db8:0:1:1:1:1:1")).hasToString("2001:db8:0:1:1:1:1:1");
    }

    @Test
    void theLongestRunOfZeroGroupsIsCompressed() {
        assertThat(IpAddress.parse("1:0:0:2:0:0:0:3")).hasToString("1:0:0:2::3");
    }

    @Test
    void ofTwoEqualRunsOfZeroGroupsTheFirstIsCompressed() {
        assertThat(IpAddress.parse("2001:db8:0:0:1:0:0:1")).hasToString("2001:db8::1:0:0:1");
    }

    @Test
    void printedTextParsesBackToTheSameAddress() {
        for (String text : new String[] {"::", "::1", "fe80::1", "1::", "2001:db8:0:0:1:0:0:1", "1:2:3:4:5:6:7:8"}) {
            IpAddress a = IpAddress.parse(text);
            assertThat(IpAddress.parse(a.toString())).as(text).isEqualTo(a);
        }
    }

    @Test
    void nextAndPreviousStepByOne() {
        IpAddress a = IpAddress.parse("10.0.0.255");

        assertThat(a.next()).isEqualTo(IpAddress.parse("10.0.1.0"));
        assertThat(a.previous()).isEqualTo(IpAddress.parse("10.0.0.254"));
    }

    @Test
    void thereIsNoAddressAfterTheLastOne() {
        assertThatThrownBy(() -> IpAddress.parse("255.255.255.255").next()).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").next())
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    void thereIsNoAddressBeforeZero() {
        assertThatThrownBy(() -> IpAddress.parse("0.0.0.0").previous()).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> IpAddress.parse("::").previous()).isInstanceOf(RuntimeException.class);
    }

    @Test
    void ipv6StepsCarryAcrossTheMiddleOfTheAddress() {
        IpAddress a = IpAddress.parse("2001:db8::ffff:ffff:ffff:ffff");

        assertThat(a.next()).isEqualTo(IpAddress.parse("2001:db8:0:1::"));
        assertThat(a.next().previous()).isEqualTo(a);
    }

    @Test
    void onlyTheAllOnesAddressIsTheMaximum() {
        assertThat(IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").isMax()).isTrue();
        assertThat(IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").isMax()).isFalse();
        assertThat(IpAddress.parse("255.255.255.254").isMax()).isFalse();
    }

    @Test
    void addressesOrderNumericallyWithinAFamily() {
        assertThat(IpAddress.parse("10.0.0.9")).isLessThan(IpAddress.parse("10.0.0.10"));
        assertThat(IpAddress.parse("9.255.255.255")).isLessThan(IpAddress.parse("10.0.0.0"));
    }

    @Test
    void ipv6AddressesWithTheTopBitSetOrderAfterTheOthers() {
        assertThat(IpAddress.parse("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).isLessThan(IpAddress.parse("8000::"));
        assertThat(IpAddress.parse("::7fff:ffff:ffff:ffff")).isLessThan(IpAddress.parse("::8000:0:0:0"));
    }

    @Test
    void theNumberOfAnAddressRoundTripsThroughTheConstructor() {
        IpAddress a = IpAddress.parse("ffff:8000::1:8000:0:0:1");

        assertThat(new IpAddress(IpFamily.IPV6, a.value())).isEqualTo(a);
        assertThat(a.value()).isEqualTo(new BigInteger("ffff8000000000018000000000000001", 16));
    }

    /**
     * "256.1.1.1" looks like a dotted quad but is none: it must be rejected without asking the name service. A child
     * JVM whose hosts file maps that text to 1.2.3.4 shows whether parse consults the resolver.
     */
    @Test
    void anOutOfRangeDottedQuadIsRejectedWithoutAskingTheNameService(@TempDir Path dir)
            throws IOException, InterruptedException {
        Path hosts = Files.writeString(dir.resolve("hosts"), "1.2.3.4 256.1.1.1\n");
        Path probe = Files.writeString(dir.resolve("Probe.java"), """
                public class Probe {
                    public static void main(String[] args) {
                        try {
                            System.out.print("accepted as " + io.nftpolicy.net.IpAddress.parse("256.1.1.1"));
                        } catch (IllegalArgumentException e) {
                            System.out.print("rejected");
                        }
                    }
                }
                """);
        String classes = Path.of(IpAddress.class.getProtectionDomain().getCodeSource().getLocation().getPath())
                + File.pathSeparator
                + Path.of(InetAddresses.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Djdk.net.hosts.file=" + hosts, "-cp", classes, probe.toString())
                .redirectErrorStream(true)
                .start();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(output).isEqualTo("rejected");
    }
}

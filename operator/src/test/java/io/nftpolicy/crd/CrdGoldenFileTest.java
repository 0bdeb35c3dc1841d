package io.nftpolicy.crd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.nftpolicy.deploy.Repository;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * crds/ holds exactly what fabric8's CRD generator makes of the custom resource classes. When a class changes,
 * regenerate with {@value #REGENERATE_HINT} and commit crds/.
 */
class CrdGoldenFileTest {
    static final String REGENERATE_PROPERTY = "nftpolicy.regenerateCrds";
    static final String REGENERATE_HINT = "mvn -B -pl operator -am test -Dtest=CrdGoldenFileTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dnftpolicy.regenerateCrds=true";

    /** Every custom resource class of the project: one CRD each. */
    static final List<Class<? extends HasMetadata>> RESOURCES =
            List.of(NodePolicyStatus.class);

    static final String HEADER = "# Generated from the Java classes of io.nftpolicy.crd by CrdGoldenFileTest. Do not edit;\n"
            + "# regenerate: " + REGENERATE_HINT + "\n";

    /** The generator sorts printer columns by JSON path; put them in the order the resource class declares. */
    private static HasMetadata orderPrinterColumns(HasMetadata crd) {
        if (crd instanceof CustomResourceDefinition definition
                && definition.getSpec().getNames().getKind().equals(NodePolicyStatus.KIND)) {
            List<String> order = Arrays.stream(NodePolicyStatus.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                    .map(AdditionalPrinterColumn::name).toList();
            for (CustomResourceDefinitionVersion version : definition.getSpec().getVersions()) {
                List<CustomResourceColumnDefinition> columns = new ArrayList<>(version.getAdditionalPrinterColumns());
                if (!columns.stream().map(CustomResourceColumnDefinition::getName).sorted().toList()
                        .equals(order.stream().sorted().toList())) {
                    throw new IllegalStateException("printer columns " + columns.stream()
                            .map(CustomResourceColumnDefinition::getName).toList()
                            + " differ from NodePolicyStatus's annotations " + order);
                }
                columns.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
                version.setAdditionalPrinterColumns(columns);
            }
        }
        return crd;
    }

    /** File name → content, as the generator writes them (v1 CRDs only). */
    static Map<String, String> generate() {
        Map<String, ByteArrayOutputStream> outputs = new TreeMap<>();
        new CRDGenerator()
                .customResourceClasses(RESOURCES)
                .forCRDVersions("v1")
                .withPostProcessor(new CRDPostProcessor() {
                    @Override
                    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
                        return orderPrinterColumns(crd);
                    }
                })
                .withOutput(new CRDGenerator.AbstractCRDOutput<ByteArrayOutputStream>() {
                    @Override
                    protected ByteArrayOutputStream createStreamFor(String crdName) {
                        // crdName is e.g. nodepolicystatuses.nftpolicy.io-v1; the generator's own directory output
                        // appends .yml
                        return outputs.computeIfAbsent(crdName, n -> new ByteArrayOutputStream());
                    }
                })
                .generate();
        Map<String, String> files = new TreeMap<>();
        outputs.forEach((name, out) -> files.put(name + ".yml", HEADER + out.toString(StandardCharsets.UTF_8)));
        return files;
    }

    private static Map<String, String> committed() throws IOException {
        try (Stream<Path> files = Files.list(Repository.path("crds"))) {
            Map<String, String> result = new TreeMap<>();
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".yml")).collect(Collectors.toList())) {
                result.put(file.getFileName().toString(), Files.readString(file));
            }
            return result;
        }
    }

    @Test
    void crdsDirectoryHoldsExactlyWhatTheGeneratorMakesOfTheJavaClasses() throws IOException {
        Map<String, String> generated = generate();
        if (Boolean.getBoolean(REGENERATE_PROPERTY)) {
            for (String stale : committed().keySet()) {
                if (!generated.containsKey(stale)) {
                    Files.delete(Repository.path("crds").resolve(stale));
                }
            }
            for (Map.Entry<String, String> file : generated.entrySet()) {
                Files.writeString(Repository.path("crds").resolve(file.getKey()), file.getValue());
            }
        }

        assertThat(committed())
                .as("crds/ is out of date with the custom resource classes (io.nftpolicy.crd). Regenerate: "
                        + REGENERATE_HINT + " and commit crds/")
                .isEqualTo(generated);
    }

    @Test
    void generatesOneV1CrdNamedAfterTheResource() {
        assertThat(generate()).containsOnlyKeys("nodepolicystatuses.nftpolicy.io-v1.yml");
    }
}

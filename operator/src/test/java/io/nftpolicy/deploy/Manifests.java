package io.nftpolicy.deploy;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The manifests users apply (deploy/ and crds/), read into fabric8's typed model. */
public final class Manifests {
    public static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    public static final String NAMESPACE = "nftpolicy-system";

    private Manifests() {}

    /** The base every bundle builds on: {@code kubectl apply -k deploy/base}. */
    public static final String BASE = "deploy/base";

    /**
     * deploy/base/*.yaml (its kustomization.yaml aside) and crds/*.yml: the manifests. deploy/base also holds a copy
     * of the generated CRD, which {@code KustomizationTest} checks against crds/.
     */
    public static List<Path> files() {
        List<Path> files = new ArrayList<>(list(Repository.path(BASE), ".yaml"));
        files.removeIf(f -> f.getFileName().toString().equals("kustomization.yaml"));
        files.addAll(list(Repository.path("crds"), ".yml"));
        return files;
    }

    private static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(suffix))
                    .sorted(Comparator.comparing(Path::toString))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every object of one file (multi-document YAML included). */
    public static List<HasMetadata> load(Path file) {
        try {
            return objects(SERIALIZATION.unmarshal(Files.readString(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every object of a YAML text (multi-document included). */
    public static List<HasMetadata> parse(String yaml) {
        return objects(SERIALIZATION.unmarshal(yaml));
    }

    private static List<HasMetadata> objects(Object parsed) {
        List<HasMetadata> result = new ArrayList<>();
        if (parsed instanceof KubernetesList list) {
            result.addAll(list.getItems());
        } else if (parsed instanceof Collection<?> documents) {
            for (Object document : documents) {
                result.addAll(objects(document));
            }
        } else if (parsed instanceof HasMetadata object) {
            result.add(object);
        } else if (parsed != null) {
            throw new IllegalArgumentException("not a Kubernetes object: " + parsed.getClass().getName());
        }
        return result;
    }

    /** All objects of every manifest file. */
    public static List<HasMetadata> all() {
        return files().stream().flatMap(f -> load(f).stream()).collect(Collectors.toList());
    }

    /** The only object of {@code type} in deploy/base/{@code file}. */
    public static <T extends HasMetadata> T one(String file, Class<T> type) {
        List<T> matches = load(Repository.path(BASE + "/" + file)).stream()
                .filter(type::isInstance).map(type::cast).collect(Collectors.toList());
        if (matches.size() != 1) {
            throw new AssertionError(BASE + "/" + file + " has " + matches.size() + " " + type.getSimpleName()
                    + " objects, expected one");
        }
        return matches.get(0);
    }

    /**
     * Fields the typed model did not recognise (a typo like {@code readOnlyRootFilesytem}: fabric8 keeps them in
     * its additional properties instead of failing), as paths from the object's root.
     */
    public static List<String> unknownFields(Object object) {
        List<String> unknown = new ArrayList<>();
        collectUnknown(object, "", unknown);
        return unknown;
    }

    private static void collectUnknown(Object value, String path, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknown(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> collectUnknown(item, path + "[" + key + "]", unknown));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model.")) {
            return; // strings, numbers, enums
        }
        for (Method method : value.getClass().getMethods()) {
            boolean anyGetter = method.isAnnotationPresent(JsonAnyGetter.class); // also @JsonIgnore in fabric8
            if (Modifier.isStatic(method.getModifiers()) || method.getParameterCount() != 0
                    || method.getDeclaringClass() == Object.class
                    || (method.isAnnotationPresent(JsonIgnore.class) && !anyGetter)
                    || !(method.getName().startsWith("get") || method.getName().startsWith("is"))) {
                continue;
            }
            Object property;
            try {
                property = method.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(method.toString(), e);
            }
            if (anyGetter) {
                if (property instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(key -> unknown.add(path + "." + key));
                }
            } else if (!isDerived(method)) {
                collectUnknown(property, path + "." + propertyName(method), unknown);
            }
        }
    }

    /** HasMetadata's default methods that compute from other fields. */
    private static boolean isDerived(Method method) {
        return method.isDefault() || Arrays.asList("getPlural", "getSingular", "getFullResourceName")
                .contains(method.getName());
    }

    private static String propertyName(Method getter) {
        String name = getter.getName().startsWith("is") ? getter.getName().substring(2) : getter.getName().substring(3);
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}

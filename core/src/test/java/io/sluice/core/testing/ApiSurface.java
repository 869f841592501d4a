package io.sluice.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The public API of a module as text, compared with the dump checked in beside its pom
 * ({@code api/ARTIFACT.api}), as okhttp does with its {@code .api} files: a change to the surface
 * fails the build until the dump is updated, so every API change shows up in review.
 *
 * <p>The surface is every public type outside {@code .internal} packages, with its public and
 * protected constructors, methods and fields, in their generic form. Regenerate the dump with
 * {@code mvn verify -Dsluice.updateApi=true}.
 */
public final class ApiSurface {
    private ApiSurface() {
    }

    /** Fails unless the surface of the classes under {@code classesDir} equals {@code dump}. */
    public static void assertMatchesDump(Path classesDir, Path dump) {
        String actual = describe(classesDir);
        if (Boolean.getBoolean("sluice.updateApi")) {
            write(dump, actual);
            return;
        }
        String expected;
        try {
            expected = Files.exists(dump) ? Files.readString(dump, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!expected.equals(actual)) {
            fail("The public API changed. If that is intended, run mvn verify -Dsluice.updateApi=true and commit "
                    + dump + ".\n" + diff(expected, actual));
        }
    }

    /** The surface of the compiled classes under {@code classesDir}, one line per type or member, sorted. */
    public static String describe(Path classesDir) {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classesDir)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".class")).sorted().collect(Collectors.toList())) {
                String name = classesDir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), ".");
                name = name.substring(0, name.length() - ".class".length());
                if (name.endsWith("package-info") || name.contains(".internal.")) {
                    continue;
                }
                Class<?> type = Class.forName(name, false, ApiSurface.class.getClassLoader());
                if (!isExported(type)) {
                    continue;
                }
                String typeLine = Modifier.toString(type.getModifiers() & ~Modifier.INTERFACE) + " "
                        + (type.isInterface() ? "interface " : type.isEnum() ? "enum " : type.isRecord() ? "record " : "class ")
                        + type.getName();
                lines.add(typeLine);
                List<String> members = new ArrayList<>();
                for (Constructor<?> c : type.getDeclaredConstructors()) {
                    if (visible(c)) {
                        members.add("  " + c.toGenericString());
                    }
                }
                for (Method m : type.getDeclaredMethods()) {
                    if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
                        members.add("  " + m.toGenericString());
                    }
                }
                for (Field f : type.getDeclaredFields()) {
                    if (visible(f) && !f.isSynthetic()) {
                        members.add("  " + f.toGenericString());
                    }
                }
                members.sort(null);
                lines.addAll(members);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return String.join("\n", lines) + "\n";
    }

    private static boolean isExported(Class<?> type) {
        for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
            if (!Modifier.isPublic(t.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    private static boolean visible(Member member) {
        int m = member.getModifiers();
        return Modifier.isPublic(m) || Modifier.isProtected(m) && !Modifier.isFinal(member.getDeclaringClass().getModifiers());
    }

    private static void write(Path dump, String text) {
        try {
            Files.createDirectories(dump.getParent());
            Files.writeString(dump, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String diff(String expected, String actual) {
        List<String> was = List.of(expected.split("\n"));
        List<String> now = List.of(actual.split("\n"));
        StringBuilder b = new StringBuilder();
        was.stream().filter(l -> !now.contains(l)).forEach(l -> b.append("- ").append(l).append('\n'));
        now.stream().filter(l -> !was.contains(l)).forEach(l -> b.append("+ ").append(l).append('\n'));
        return b.toString();
    }
}

package io.sluice.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether the process talks to a person: decides if progress lines are drawn. */
final class Terminal {
    private Terminal() {
    }

    /**
     * True when standard error is most likely a terminal. Java has no direct test: a console exists
     * only when the process is attached to one (and, from JDK 22, {@code Console.isTerminal()} says
     * whether it really is, since a console may then exist when redirected).
     */
    static boolean stderrIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // before JDK 22 a console exists only on a terminal
        }
    }
}

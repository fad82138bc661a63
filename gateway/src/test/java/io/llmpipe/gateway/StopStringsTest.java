package io.llmpipe.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void holdsBackAPossibleStopStringAndCutsBeforeIt() {
        StopStrings s = new StopStrings(List.of("The End"));
        assertEquals("Once upon", s.accept("Once upon"));
        assertEquals(" a time. ", s.accept(" a time. Th"));
        assertEquals("", s.accept("e E"));
        assertFalse(s.stopped());
        assertEquals("", s.accept("nd"));
        assertTrue(s.stopped());
        assertEquals("", s.accept("more"));
        assertEquals("", s.finish());
    }

    @Test
    void releasesHeldTextThatTurnsOutNotToStop() {
        StopStrings s = new StopStrings(List.of("\n\n", "STOP"));
        assertEquals("a", s.accept("a\n"));
        assertEquals("\nb", s.accept("b"));
        assertEquals("x", s.accept("xST"));
        assertEquals("ST", s.finish());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopStrings s = new StopStrings(List.of("cat", "dog"));
        assertEquals("the ", s.accept("the dog and the cat"));
        assertTrue(s.stopped());
    }

    @Test
    void noStopStringsPassEverything() {
        StopStrings s = new StopStrings(List.of());
        assertEquals("abc", s.accept("abc"));
        assertEquals("", s.finish());
    }
}

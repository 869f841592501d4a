package io.sluice.micrometer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BoundedTagValuesTest {

    @Test
    void theFirstValuesUpToTheCapAreKeptAndLaterOnesFoldIntoOther() {
        BoundedTagValues models = new BoundedTagValues(2);
        assertEquals("a", models.tagValue("a"));
        assertEquals("b", models.tagValue("b"));
        assertEquals("other", models.tagValue("c"));
        assertEquals("a", models.tagValue("a"), "a kept value stays itself past the cap");
    }

    @Test
    void aMissingValueIsUnknownAndTakesNoPlace() {
        BoundedTagValues models = new BoundedTagValues(1);
        assertEquals("unknown", models.tagValue(null));
        assertEquals("unknown", models.tagValue(""));
        assertEquals("a", models.tagValue("a"));
    }

    @Test
    void aLongValueIsCut() {
        assertEquals(BoundedTagValues.MAX_LENGTH, new BoundedTagValues(1).tagValue("m".repeat(1000)).length());
    }

    @Test
    void aCapOfZeroFoldsEveryValue() {
        assertEquals("other", new BoundedTagValues(0).tagValue("a"));
    }
}

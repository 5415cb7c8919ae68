"""nbgrader preprocessor run while a submission is sanitised, before test cells are restored.

nbgrader's ``DeduplicateIds`` handles a duplicated cell (same grade id twice) by emptying the
copy's ``nbgrader`` metadata, but ``OverwriteCells.add_missing_cells`` then expects a
``grade_id`` in every cell that has such metadata and crashes. Dropping the emptied metadata
makes the copy an ordinary cell, so the submission is graded once, normally.
"""
from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Remove ``nbgrader`` metadata that carries no grade id."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {})
        if "nbgrader" in meta and "grade_id" not in meta["nbgrader"]:
            del meta["nbgrader"]
        return cell, resources

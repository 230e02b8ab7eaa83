//! A strided matrix view over a slice, the operands of the training convolutions' matrix
//! products (`phase_planes`, `phase_columns`, `tiled_product`).

/// A strided matrix view: element `(r, c)` at `start + r·row + c·column` of `data`.
pub(super) struct Operand<D> {
    pub(super) data: D,
    pub(super) start: isize,
    pub(super) row: isize,
    pub(super) column: isize,
}

impl<D: AsRef<[f32]>> Operand<D> {
    /// Panics unless every element of an `rows × columns` view lies inside `data` (the one check
    /// that makes the products' raw-pointer calls sound: `phase_planes::product`, gemm's or
    /// `tiled_product`'s).
    pub(super) fn check(&self, rows: usize, columns: usize) {
        let last = self.start + (rows as isize - 1) * self.row + (columns as isize - 1) * self.column;
        let len = self.data.as_ref().len() as isize;
        assert!(rows > 0 && columns > 0 && self.row >= 0 && self.column >= 0, "an empty or reversed operand");
        assert!(self.start >= 0 && last < len, "operand [{}, {last}] outside 0..{len}", self.start);
    }
}

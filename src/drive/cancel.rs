//! A Cancel request. In: a click on a Cancel button. Out: a flag the
//! running work reads between chunks.

use std::cell::Cell;
use std::rc::Rc;

#[derive(Clone, Default)]
pub struct CancelFlag(Rc<Cell<bool>>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.set(true);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.get()
    }
}

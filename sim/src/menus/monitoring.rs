//! Menus monitoring tools read.

use super::MenuDef;

/// Every menu of this file.
pub(super) static MENUS: [MenuDef; 0] = [];

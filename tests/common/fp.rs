//! An FP hook for the frame tests that holds its register state as a byte image.

use ksignal::frame::FpHook;

/// An FP hook holding its state as an image. `check` validates every image handed to
/// `restore` (the crate promises hooks only valid images).
#[derive(Clone, Debug)]
pub struct ImageFp {
    pub state: Vec<u8>,
    pub xfeatures: u64,
    pub resets: u32,
    pub restores: u32,
    pub check: fn(&ImageFp, &[u8]),
}

impl ImageFp {
    pub fn new(state: Vec<u8>) -> ImageFp {
        ImageFp {
            state,
            xfeatures: 0,
            resets: 0,
            restores: 0,
            check: |_, _| {},
        }
    }
}

impl FpHook for ImageFp {
    fn image_len(&self) -> usize {
        self.state.len()
    }
    fn save(&mut self, image: &mut [u8]) {
        image.copy_from_slice(&self.state);
    }
    fn restore(&mut self, image: &[u8]) -> bool {
        (self.check)(self, image);
        assert_eq!(image.len(), self.state.len());
        self.state.copy_from_slice(image);
        self.restores += 1;
        true
    }
    fn reset(&mut self) {
        self.state.fill(0);
        self.resets += 1;
    }
    fn x86_xfeatures(&self) -> u64 {
        self.xfeatures
    }
}

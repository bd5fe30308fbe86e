//! Light augmentation: shifting an image by a few pixels (zeros shifted in), so the network sees
//! each digit in slightly different places.

use super::ImageShape;
use crate::rng::Rng;

/// Shifts an image (C×H×W) by up to `max_shift` pixels in each direction, chosen by `rng`, every
/// channel alike.
pub fn random_shift<T: Copy + Default>(
    image: &mut [T],
    shape: ImageShape,
    max_shift: usize,
    rng: &mut Rng,
) {
    let span = 2 * max_shift + 1;
    let dy = rng.below(span) as isize - max_shift as isize;
    let dx = rng.below(span) as isize - max_shift as isize;
    shift_by(image, shape, dy, dx);
}

/// Moves an image (C×H×W) `dy` rows down and `dx` columns right, every channel alike; zeros come
/// in at the edges.
pub fn shift_by<T: Copy + Default>(image: &mut [T], shape: ImageShape, dy: isize, dx: isize) {
    let (rows, cols) = (shape.height, shape.width);
    for plane in image.chunks_exact_mut(rows * cols) {
        shift(plane, rows, cols, dy, dx);
    }
}

/// Moves every pixel `dy` rows down and `dx` columns right; zeros come in at the edges. In place,
/// a row at a time, in the order that reads each source row before it is overwritten.
fn shift<T: Copy + Default>(image: &mut [T], rows: usize, cols: usize, dy: isize, dx: isize) {
    if dx == 0 && dy == 0 {
        return;
    }
    let width = cols.saturating_sub(dx.unsigned_abs());
    let from = dx.min(0).unsigned_abs().min(cols);
    let to = (dx.max(0) as usize).min(cols);
    for k in 0..rows {
        let r = if dy > 0 { rows - 1 - k } else { k };
        let dst = r * cols;
        match r.checked_add_signed(-dy).filter(|&sr| sr < rows) {
            Some(sr) => {
                let src = sr * cols + from;
                image.copy_within(src..src + width, dst + to);
                image[dst..dst + to].fill(T::default());
                image[dst + to + width..dst + cols].fill(T::default());
            }
            None => image[dst..dst + cols].fill(T::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifting_moves_pixels_and_keeps_their_values() {
        let mut rng = Rng::new(5);
        for _ in 0..20 {
            let mut img = vec![0.0; 49];
            img[3 * 7 + 3] = 1.0;
            random_shift(
                &mut img,
                ImageShape {
                    channels: 1,
                    height: 7,
                    width: 7,
                },
                2,
                &mut rng,
            );
            assert_eq!(img.iter().sum::<f32>(), 1.0, "a centred pixel stays inside");
            let at = img.iter().position(|&v| v == 1.0).unwrap();
            assert!((at / 7).abs_diff(3) <= 2 && (at % 7).abs_diff(3) <= 2);
        }
    }

    #[test]
    fn the_in_place_shift_matches_a_pixel_by_pixel_copy() {
        let (rows, cols) = (6, 5);
        let image: Vec<f32> = (1..=rows * cols).map(|v| v as f32).collect();
        for dy in -7..=7isize {
            for dx in -6..=6isize {
                let mut shifted = image.clone();
                shift(&mut shifted, rows, cols, dy, dx);
                let expected: Vec<f32> = (0..rows * cols)
                    .map(|i| {
                        let (r, c) = ((i / cols) as isize - dy, (i % cols) as isize - dx);
                        let inside =
                            (0..rows as isize).contains(&r) && (0..cols as isize).contains(&c);
                        if inside {
                            image[r as usize * cols + c as usize]
                        } else {
                            0.0
                        }
                    })
                    .collect();
                assert_eq!(shifted, expected, "shift by ({dy}, {dx})");
            }
        }
    }
}

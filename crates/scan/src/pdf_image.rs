//! A PDF image XObject -> pixels: DCTDecode (JPEG), CCITTFaxDecode group 4 (black and white
//! scanners), FlateDecode with or without PNG predictors, or uncompressed samples; grey, RGB, CMYK, ICC-based and indexed colour; 1 or 8
//! bits per sample (ISO 32000-1, 8.9.5 image dictionaries and 7.4 filters).

use std::borrow::Cow;

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::{Dictionary, Document, Object, Stream};

use crate::read::{
    check_side, cmyk_to_rgb, decode_embedded_jpeg, decode_group4_fax, inflate_bounded, unpack_bits,
};
use crate::{Format, Limits, ScanError};

fn unsupported(page: usize, detail: impl fmt::Display) -> ScanError {
    ScanError::Unsupported {
        format: Format::Pdf,
        detail: format!("page {page}: {detail}"),
    }
}

fn corrupt(page: usize, detail: impl fmt::Display) -> ScanError {
    ScanError::Corrupt {
        format: Format::Pdf,
        detail: format!("page {page}: {detail}"),
    }
}

use std::fmt;

/// How a page image's samples are coloured.
enum Colour {
    Grey,
    Rgb,
    Cmyk,
    /// A palette of `base` colours (1 or 3 components each), indexed by one sample.
    Indexed {
        base_components: usize,
        palette: Vec<u8>,
    },
}

fn integer(document: &Document, dictionary: &Dictionary, key: &[u8]) -> Option<i64> {
    dictionary
        .get_deref(key, document)
        .and_then(Object::as_i64)
        .ok()
}

fn names(document: &Document, object: Option<&Object>) -> Vec<Vec<u8>> {
    let Some(object) = object else {
        return Vec::new();
    };
    let Ok((_, object)) = document.dereference(object) else {
        return Vec::new();
    };
    match object {
        Object::Name(name) => vec![name.clone()],
        Object::Array(items) => items
            .iter()
            .filter_map(|item| document.dereference(item).ok())
            .filter_map(|(_, item)| item.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => Vec::new(),
    }
}

/// The decode parameters for the filter at `index`.
fn parameters<'a>(
    document: &'a Document,
    dictionary: &'a Dictionary,
    index: usize,
) -> Option<&'a Dictionary> {
    let (_, object) = document
        .dereference(dictionary.get(b"DecodeParms").ok()?)
        .ok()?;
    match object {
        Object::Dictionary(parameters) => (index == 0).then_some(parameters),
        Object::Array(items) => {
            let (_, item) = document.dereference(items.get(index)?).ok()?;
            item.as_dict().ok()
        }
        _ => None,
    }
}

fn colour_space(document: &Document, object: &Object, page: usize) -> Result<Colour, ScanError> {
    let (_, object) = document
        .dereference(object)
        .map_err(|error| corrupt(page, error))?;
    match object {
        Object::Name(name) => simple_colour(name, page),
        Object::Array(items) => {
            let family = items
                .first()
                .and_then(|first| first.as_name().ok())
                .ok_or_else(|| corrupt(page, "colour space array without a name"))?;
            match family {
                b"ICCBased" => {
                    let stream = items
                        .get(1)
                        .and_then(|item| document.dereference(item).ok())
                        .and_then(|(_, item)| item.as_stream().ok())
                        .ok_or_else(|| {
                            corrupt(page, "ICCBased colour space without its profile")
                        })?;
                    match integer(document, &stream.dict, b"N") {
                        Some(1) => Ok(Colour::Grey),
                        Some(3) => Ok(Colour::Rgb),
                        Some(4) => Ok(Colour::Cmyk),
                        other => Err(corrupt(
                            page,
                            format!("ICC profile with {other:?} components"),
                        )),
                    }
                }
                b"Indexed" => {
                    let base = items
                        .get(1)
                        .ok_or_else(|| corrupt(page, "Indexed without a base"))?;
                    let base_components = match colour_space(document, base, page)? {
                        Colour::Grey => 1,
                        Colour::Rgb => 3,
                        _ => {
                            return Err(unsupported(
                                page,
                                "an indexed colour space over cmyk or a palette",
                            ));
                        }
                    };
                    let (_, lookup) = document
                        .dereference(
                            items
                                .get(3)
                                .ok_or_else(|| corrupt(page, "Indexed without a lookup table"))?,
                        )
                        .map_err(|error| corrupt(page, error))?;
                    let palette = match lookup {
                        Object::String(bytes, _) => bytes.clone(),
                        Object::Stream(stream) => stream
                            .decompressed_content()
                            .map_err(|error| corrupt(page, error))?,
                        _ => {
                            return Err(corrupt(
                                page,
                                "Indexed lookup table is neither a string nor a stream",
                            ));
                        }
                    };
                    Ok(Colour::Indexed {
                        base_components,
                        palette,
                    })
                }
                b"CalGray" => Ok(Colour::Grey),
                b"CalRGB" | b"Lab" => Ok(Colour::Rgb),
                other => Err(unsupported(
                    page,
                    format!("colour space {}", String::from_utf8_lossy(other)),
                )),
            }
        }
        _ => Err(corrupt(page, "colour space is neither a name nor an array")),
    }
}

fn simple_colour(name: &[u8], page: usize) -> Result<Colour, ScanError> {
    match name {
        b"DeviceGray" | b"G" | b"CalGray" => Ok(Colour::Grey),
        b"DeviceRGB" | b"RGB" | b"CalRGB" => Ok(Colour::Rgb),
        b"DeviceCMYK" | b"CMYK" => Ok(Colour::Cmyk),
        other => Err(unsupported(
            page,
            format!("colour space {}", String::from_utf8_lossy(other)),
        )),
    }
}

/// Decodes the page image `stream` of page `page`, allocating at most `remaining` bytes.
pub(crate) fn decode(
    document: &Document,
    stream: &Stream,
    page: usize,
    limits: &Limits,
    remaining: u64,
) -> Result<DynamicImage, ScanError> {
    let dictionary = &stream.dict;
    let width = integer(document, dictionary, b"Width")
        .ok_or_else(|| corrupt(page, "image without a width"))?;
    let height = integer(document, dictionary, b"Height")
        .ok_or_else(|| corrupt(page, "image without a height"))?;
    let (Ok(width), Ok(height)) = (u64::try_from(width), u64::try_from(height)) else {
        return Err(corrupt(
            page,
            format!("image of negative size {width} x {height}"),
        ));
    };
    check_side(width, height, page, limits)?;
    let is_mask = dictionary
        .get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false);
    let bits = if is_mask {
        1
    } else {
        integer(document, dictionary, b"BitsPerComponent").unwrap_or(8)
    };
    let colour = if is_mask {
        Colour::Grey
    } else {
        match dictionary.get(b"ColorSpace") {
            Ok(object) => colour_space(document, object, page)?,
            Err(_) => Colour::Grey,
        }
    };
    let components: u64 = match &colour {
        Colour::Grey | Colour::Indexed { .. } => 1,
        Colour::Rgb => 3,
        Colour::Cmyk => 4,
    };
    let bits_u64 =
        u64::try_from(bits).map_err(|_| corrupt(page, format!("{bits} bits per component")))?;
    let row_bytes = (width * components * bits_u64).div_ceil(8);
    let raw_size = row_bytes * height;

    let filters = names(document, dictionary.get(b"Filter").ok());
    let mut data: Cow<'_, [u8]> = Cow::Borrowed(&stream.content);
    for (index, filter) in filters.iter().enumerate() {
        match filter.as_slice() {
            b"FlateDecode" | b"Fl" => {
                let parameters = parameters(document, dictionary, index);
                let predictor = parameters
                    .and_then(|p| integer(document, p, b"Predictor"))
                    .unwrap_or(1);
                // PNG predictors add one filter-type byte per row.
                let bound = (raw_size + height).min(remaining.max(1));
                let inflated = inflate_bounded(&data, bound, page, remaining)?;
                data = Cow::Owned(match predictor {
                    1 => inflated,
                    10..=15 => {
                        let bytes_per_pixel =
                            usize::try_from((components * bits_u64).div_ceil(8)).unwrap_or(1);
                        let row = usize::try_from(row_bytes)
                            .map_err(|_| corrupt(page, "row too long"))?;
                        unpredict_png(&inflated, row, bytes_per_pixel)
                            .ok_or_else(|| corrupt(page, "bad png predictor data"))?
                    }
                    other => return Err(unsupported(page, format!("flate predictor {other}"))),
                });
            }
            b"CCITTFaxDecode" | b"CCF" => {
                if index + 1 != filters.len() {
                    return Err(unsupported(page, "a filter after CCITTFaxDecode"));
                }
                let parameters = parameters(document, dictionary, index);
                let k = parameters
                    .and_then(|p| integer(document, p, b"K"))
                    .unwrap_or(0);
                if k >= 0 {
                    return Err(unsupported(
                        page,
                        "ccitt group 3 fax image (only group 4 is read)",
                    ));
                }
                let black_is_1 = parameters
                    .and_then(|p| p.get(b"BlackIs1").and_then(Object::as_bool).ok())
                    .unwrap_or(false);
                let (width, height) = (
                    u32::try_from(width).map_err(|_| corrupt(page, "width"))?,
                    u32::try_from(height).map_err(|_| corrupt(page, "height"))?,
                );
                let mut grey = decode_group4_fax(&data, width, height, page, limits, remaining)?;
                // Black fax runs come out black; BlackIs1 and a /Decode [1 0] each swap that.
                if black_is_1 != decode_inverted(document, dictionary) {
                    image::imageops::invert(&mut grey);
                }
                return Ok(DynamicImage::ImageLuma8(grey));
            }
            b"DCTDecode" | b"DCT" => {
                if index + 1 != filters.len() {
                    return Err(unsupported(page, "a filter after DCTDecode"));
                }
                return decode_embedded_jpeg(&data, page, limits, remaining);
            }
            other => {
                return Err(unsupported(
                    page,
                    format!("image filter {}", String::from_utf8_lossy(other)),
                ));
            }
        }
    }
    if raw_size > remaining {
        return Err(ScanError::MemoryLimit {
            page,
            limit: remaining,
        });
    }
    let expected = usize::try_from(raw_size).map_err(|_| ScanError::MemoryLimit {
        page,
        limit: remaining,
    })?;
    if data.len() < expected {
        return Err(corrupt(
            page,
            format!("image data has {} bytes, {expected} expected", data.len()),
        ));
    }
    let (width, height) = (
        u32::try_from(width).map_err(|_| corrupt(page, "width"))?,
        u32::try_from(height).map_err(|_| corrupt(page, "height"))?,
    );
    let inverted = decode_inverted(document, dictionary);
    let pixels =
        usize::try_from(u64::from(width) * u64::from(height)).map_err(|_| corrupt(page, "size"))?;
    let image = match (bits, colour) {
        (1, Colour::Grey) => {
            // 1 = white in DeviceGray; an image mask paints where the sample is 0 by default.
            let one_is_black = is_mask != inverted && is_mask || (!is_mask && inverted);
            let grey = unpack_bits(&data, width, height, one_is_black)
                .ok_or_else(|| corrupt(page, "short data"))?;
            DynamicImage::ImageLuma8(grey)
        }
        (8, Colour::Grey) => {
            let mut grey = data[..expected].to_vec();
            if inverted {
                grey.iter_mut().for_each(|value| *value = 255 - *value);
            }
            DynamicImage::ImageLuma8(
                GrayImage::from_raw(width, height, grey).ok_or_else(|| corrupt(page, "size"))?,
            )
        }
        (8, Colour::Rgb) => DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, data[..expected].to_vec())
                .ok_or_else(|| corrupt(page, "size"))?,
        ),
        (8, Colour::Cmyk) => DynamicImage::ImageRgb8(
            RgbImage::from_raw(width, height, cmyk_to_rgb(&data, pixels))
                .ok_or_else(|| corrupt(page, "size"))?,
        ),
        (
            8,
            Colour::Indexed {
                base_components,
                palette,
            },
        ) => {
            let mut rgb = Vec::with_capacity(pixels * 3);
            for index in &data[..expected] {
                let start = usize::from(*index) * base_components;
                let entry = palette
                    .get(start..start + base_components)
                    .unwrap_or(&[0, 0, 0][..base_components]);
                if base_components == 1 {
                    rgb.extend_from_slice(&[entry[0]; 3]);
                } else {
                    rgb.extend_from_slice(entry);
                }
            }
            DynamicImage::ImageRgb8(
                RgbImage::from_raw(width, height, rgb).ok_or_else(|| corrupt(page, "size"))?,
            )
        }
        (bits, _) => return Err(unsupported(page, format!("{bits} bits per component"))),
    };
    Ok(image)
}

/// A `/Decode [1 0]` array inverts one-component samples.
fn decode_inverted(document: &Document, dictionary: &Dictionary) -> bool {
    dictionary
        .get_deref(b"Decode", document)
        .and_then(Object::as_array)
        .ok()
        .and_then(|items| items.first())
        .and_then(|first| {
            first
                .as_i64()
                .ok()
                .or_else(|| first.as_float().ok().map(|v| i64::from(v > 0.5)))
        })
        == Some(1)
}

/// Undoes PNG row filters (RFC 2083 section 6): each row starts with its filter type.
fn unpredict_png(data: &[u8], row_bytes: usize, bytes_per_pixel: usize) -> Option<Vec<u8>> {
    let stride = row_bytes + 1;
    let rows = data.len() / stride;
    let mut output = vec![0u8; rows * row_bytes];
    for row in 0..rows {
        let filter = data[row * stride];
        let source = &data[row * stride + 1..(row + 1) * stride];
        let (done, current) = output.split_at_mut(row * row_bytes);
        let previous = if row == 0 {
            None
        } else {
            Some(&done[(row - 1) * row_bytes..])
        };
        let current = &mut current[..row_bytes];
        for index in 0..row_bytes {
            let left = if index >= bytes_per_pixel {
                current[index - bytes_per_pixel]
            } else {
                0
            };
            let up = previous.map_or(0, |previous| previous[index]);
            let up_left = if index >= bytes_per_pixel {
                previous.map_or(0, |previous| previous[index - bytes_per_pixel])
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2).to_le_bytes()[0],
                4 => paeth(left, up, up_left),
                _ => return None,
            };
            current[index] = source[index].wrapping_add(predicted);
        }
    }
    Some(output)
}

fn paeth(left: u8, up: u8, up_left: u8) -> u8 {
    let estimate = i16::from(left) + i16::from(up) - i16::from(up_left);
    let distance_left = (estimate - i16::from(left)).abs();
    let distance_up = (estimate - i16::from(up)).abs();
    let distance_up_left = (estimate - i16::from(up_left)).abs();
    if distance_left <= distance_up && distance_left <= distance_up_left {
        left
    } else if distance_up <= distance_up_left {
        up
    } else {
        up_left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_predictors_round_trip() {
        // Two rows of 3 bytes, 1 byte per pixel: row 0 filtered Sub, row 1 filtered Up.
        let filtered = [1, 10, 5, 5, 2, 1, 1, 1];
        assert_eq!(
            unpredict_png(&filtered, 3, 1),
            Some(vec![10, 15, 20, 11, 16, 21])
        );
    }
}

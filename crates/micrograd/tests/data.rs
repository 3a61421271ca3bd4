//! Data sets: generators land exactly on their shapes without noise, are deterministic per seed and
//! balanced; labels and shapes are validated.

use micrograd::data::{
    blobs, circles, encode_labels, moons, spirals, DataError, Dataset, LabelEncoding, Shape,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn moons_without_noise_lie_on_the_two_half_circles() {
    let d = moons(101, 0.0, 1);
    assert_eq!((d.len(), d.n_features(), d.n_classes()), (101, 2, 2));
    assert_eq!(d.class_counts(), vec![50, 51]);
    for (x, c) in d.iter() {
        if c == 0 {
            assert!(
                close(x[0] * x[0] + x[1] * x[1], 1.0) && x[1] >= -1e-12,
                "{x:?}"
            );
        } else {
            let (u, v) = (x[0] - 1.0, x[1] - 0.5);
            assert!(close(u * u + v * v, 1.0) && x[1] <= 0.5 + 1e-12, "{x:?}");
        }
    }
    // the end points of both moons are there
    assert!(d.iter().any(|(x, c)| c == 0 && close(x[0], -1.0)));
    assert!(d.iter().any(|(x, c)| c == 1 && close(x[0], 2.0)));
}

#[test]
fn circles_blobs_spirals_without_noise() {
    let d = circles(90, 3, 0.0, 2);
    assert_eq!(d.class_counts(), vec![30, 30, 30]);
    for (x, c) in d.iter() {
        let r = (x[0] * x[0] + x[1] * x[1]).sqrt();
        assert!(close(r, (c + 1) as f64 / 3.0), "{x:?} {c}");
    }
    let d = blobs(10, 4, 0.0, 3);
    assert_eq!(d.class_counts(), vec![3, 3, 2, 2]);
    for (x, c) in d.iter() {
        let a = std::f64::consts::TAU * c as f64 / 4.0;
        assert!(close(x[0], 2.0 * a.cos()) && close(x[1], 2.0 * a.sin()));
    }
    let d = spirals(300, 3, 0.0, 4);
    assert_eq!(d.class_counts(), vec![100, 100, 100]);
    for (x, c) in d.iter() {
        let r = (x[0] * x[0] + x[1] * x[1]).sqrt();
        assert!((0.05 - 1e-12..=1.0 + 1e-12).contains(&r));
        // angle = 2πc/3 + 4r (mod 2π)
        let want = std::f64::consts::TAU * c as f64 / 3.0 + 4.0 * r;
        let diff = (x[1].atan2(x[0]) - want).rem_euclid(std::f64::consts::TAU);
        assert!(
            !(1e-9..=std::f64::consts::TAU - 1e-9).contains(&diff),
            "{x:?} {c}"
        );
    }
}

#[test]
fn seeded_deterministic_and_shuffled() {
    for shape in Shape::ALL {
        let a = shape.generate(60, 2, 0.1, 7).unwrap();
        let b = shape.generate(60, 2, 0.1, 7).unwrap();
        let c = shape.generate(60, 2, 0.1, 8).unwrap();
        assert_eq!(a, b, "{shape}");
        assert_ne!(a, c, "{shape}");
        // shuffled: the labels are not sorted
        assert!(a.labels().windows(2).any(|w| w[0] > w[1]), "{shape}");
        assert_eq!(shape.name().parse::<Shape>().unwrap(), shape);
    }
}

#[test]
fn noise_has_the_requested_spread() {
    let d = blobs(20000, 2, 0.5, 11);
    let (mut sum, mut sq, mut n) = (0.0, 0.0, 0.0);
    for (x, c) in d.iter() {
        let cx = if c == 0 { 2.0 } else { -2.0 };
        let dx = x[0] - cx;
        sum += dx;
        sq += dx * dx;
        n += 1.0;
    }
    let mean = sum / n;
    let std = (sq / n - mean * mean).sqrt();
    assert!(mean.abs() < 0.02, "{mean}");
    assert!((std - 0.5).abs() < 0.02, "{std}");
}

#[test]
fn generate_checks_its_arguments() {
    let msg = |r: Result<Dataset, DataError>| r.unwrap_err().message;
    assert_eq!(
        msg(Shape::Moons.generate(10, 3, 0.1, 0)),
        "moons has exactly 2 classes, got 3"
    );
    assert_eq!(
        msg(Shape::Blobs.generate(10, 1, 0.1, 0)),
        "need at least 2 classes, got 1"
    );
    assert!(msg(Shape::Spirals.generate(2, 3, 0.1, 0)).contains("at least one point per class"));
    assert!(msg(Shape::Circles.generate(10, 2, -0.1, 0)).contains("noise"));
    assert!(msg(Shape::Circles.generate(10, 2, f64::NAN, 0)).contains("noise"));
    assert!("squares".parse::<Shape>().is_err());
}

#[test]
fn dataset_validation_subset_and_signed_labels() {
    let err = Dataset::new(vec![vec![1.0, 2.0], vec![3.0]], vec![0, 1], 2).unwrap_err();
    assert_eq!(err.to_string(), "row 1: expected 2 features, found 1");
    let err = Dataset::new(vec![vec![1.0], vec![2.0]], vec![0, 2], 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1: label 2 is not below the class count 2"
    );
    let err = Dataset::new(vec![vec![1.0], vec![f64::INFINITY]], vec![0, 1], 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1, column 0: inf is not a finite number"
    );
    assert!(Dataset::new(vec![], vec![], 2).is_err());
    assert!(Dataset::new(vec![vec![1.0]], vec![0, 1], 2).is_err());

    let d = Dataset::new(vec![vec![0.0], vec![1.0], vec![2.0]], vec![1, 0, 1], 2).unwrap();
    assert_eq!(d.signed_labels().unwrap(), vec![1.0, -1.0, 1.0]);
    let s = d.subset(&[2, 2, 1]);
    assert_eq!(s.features(), &[vec![2.0], vec![2.0], vec![1.0]]);
    assert_eq!(s.labels(), &[1, 1, 0]);
    assert_eq!(d.feature_range(0), (0.0, 2.0));
    let k3 = Dataset::new(vec![vec![0.0]; 3], vec![0, 1, 2], 3).unwrap();
    assert!(k3
        .signed_labels()
        .unwrap_err()
        .message
        .contains("2 classes"));
    let back = Dataset::from_signed(vec![vec![0.0], vec![1.0]], &[1.0, -1.0]).unwrap();
    assert_eq!(back.labels(), &[1, 0]);
    assert_eq!(
        Dataset::from_signed(vec![vec![0.0]], &[0.0])
            .unwrap_err()
            .to_string(),
        "row 0: label 0 is not -1 or +1"
    );
}

#[test]
fn label_encodings() {
    assert_eq!(
        encode_labels(&[1, -1]).unwrap(),
        (vec![1, 0], 2, LabelEncoding::PlusMinusOne)
    );
    assert_eq!(
        encode_labels(&[1, 0, 1]).unwrap(),
        (vec![1, 0, 1], 2, LabelEncoding::ZeroBased)
    );
    assert_eq!(encode_labels(&[3, 0]).unwrap().1, 4);
    assert_eq!(encode_labels(&[1, -1, 2]).unwrap_err().row, Some(2));
    assert_eq!(encode_labels(&[0, -2]).unwrap_err().row, Some(1));
    assert!(encode_labels(&[0, 0]).is_err());
    assert!(encode_labels(&[]).is_err());
    assert!(encode_labels(&[0, i64::MAX]).is_err());
    assert_eq!(LabelEncoding::PlusMinusOne.decode(0), -1);
    assert_eq!(LabelEncoding::PlusMinusOne.decode(1), 1);
    assert_eq!(LabelEncoding::ZeroBased.decode(3), 3);
}

<?php
// A plain PHP front controller (the layout Laravel and Slim use): every request goes through public/index.php.
declare(strict_types=1);

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
header('Content-Type: application/json');

if ($path === '/') {
    echo json_encode(['app' => 'php', 'php' => PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION,
        'prefix' => $_SERVER['HTTP_X_FORWARDED_PREFIX'] ?? null]);
} elseif (preg_match('#^/notes/(\d+)$#', $path, $m)) {
    echo json_encode(['note' => (int) $m[1], 'method' => $_SERVER['REQUEST_METHOD']]);
} else {
    http_response_code(404);
    echo json_encode(['error' => 'not found', 'path' => $path]);
}
